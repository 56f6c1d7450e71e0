import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsString, Length, Matches, MaxLength } from 'class-validator';
import { pageOf, PageQueryDto, type Page } from '../../common/pagination/cursor.js';
import { PLATFORM_PATTERN, VERSION_PATTERN } from '../version.js';
import { Optional } from '../../common/validation/optional.js';

const PLATFORM_RULE = 'platform must match ^[a-z0-9][a-z0-9_-]{0,31}$';
const VERSION_RULE = 'version must be 1-4 dot-separated integers';
const toBool = ({ value }: { value: unknown }): unknown =>
  value === 'true' ? true : value === 'false' ? false : value;

/** Multipart fields of a release upload (strings on the wire). */
export class CreateReleaseDto {
  @ApiProperty({ example: '1.10.0' })
  @IsString()
  @Matches(VERSION_PATTERN, { message: VERSION_RULE })
  version!: string;

  @ApiProperty({ example: 'android' })
  @IsString()
  @Matches(PLATFORM_PATTERN, { message: PLATFORM_RULE })
  platform!: string;

  @ApiPropertyOptional({ maxLength: 10000 })
  @Optional()
  @IsString()
  @MaxLength(10000)
  notes?: string;

  @ApiPropertyOptional({ default: false })
  @Optional()
  @Transform(toBool)
  @IsBoolean()
  mandatory?: boolean;
}

export class ReleaseDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() version!: string;
  @ApiProperty() platform!: string;
  @ApiProperty() notes!: string;
  @ApiProperty() size!: number;
  @ApiProperty() sha256!: string;
  @ApiProperty() mandatory!: boolean;
  @ApiProperty({ example: '/api/v1/releases/2f1c…/download' }) downloadUrl!: string;
  @ApiProperty() downloads!: number;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class ReleaseListQueryDto extends PageQueryDto {
  @ApiPropertyOptional()
  @Optional()
  @Matches(PLATFORM_PATTERN, { message: PLATFORM_RULE })
  platform?: string;
}

export const ReleasePageDto = pageOf(ReleaseDto);
export type ReleasePageDto = Page<ReleaseDto>;

export class UpdateCheckQueryDto {
  @ApiProperty({ example: 'ios' })
  @IsString()
  @Matches(PLATFORM_PATTERN, { message: PLATFORM_RULE })
  platform!: string;
}

export class UpdateCheckDto {
  @ApiProperty() updateAvailable!: boolean;
  @ApiProperty({
    description: 'A newer mandatory release exists, or the version is below the platform’s minimum',
  })
  mandatory!: boolean;
  @ApiProperty({ type: ReleaseDto, nullable: true }) latest!: ReleaseDto | null;
}

export class PolicyDto {
  @ApiProperty({ example: '1.9.0' })
  @IsString()
  @Matches(VERSION_PATTERN, { message: VERSION_RULE })
  minSupportedVersion!: string;
}

export class PolicyViewDto {
  @ApiProperty() platform!: string;
  @ApiProperty() minSupportedVersion!: string;
}

export class RegisterDeviceDto {
  @ApiProperty({ maxLength: 128 })
  @IsString()
  @Length(1, 128)
  deviceId!: string;

  @ApiProperty({ example: 'android' })
  @IsString()
  @Matches(PLATFORM_PATTERN, { message: PLATFORM_RULE })
  platform!: string;

  @ApiPropertyOptional({ maxLength: 128 })
  @Optional()
  @IsString()
  @MaxLength(128)
  model?: string;

  @ApiPropertyOptional({ maxLength: 64 })
  @Optional()
  @IsString()
  @MaxLength(64)
  osVersion?: string;

  @ApiProperty({ example: '1.10.0' })
  @IsString()
  @Matches(VERSION_PATTERN, { message: 'appVersion must be 1-4 dot-separated integers' })
  appVersion!: string;

  @ApiPropertyOptional({ example: 'en-GB' })
  @Optional()
  @IsString()
  @Matches(/^[A-Za-z]{2,8}([-_][A-Za-z0-9]{1,8}){0,3}$/, { message: 'appLocale must be a locale like en-GB' })
  appLocale?: string;

  @ApiPropertyOptional({ example: 'fr-FR' })
  @Optional()
  @IsString()
  @Matches(/^[A-Za-z]{2,8}([-_][A-Za-z0-9]{1,8}){0,3}$/, {
    message: 'deviceLocale must be a locale like en-GB',
  })
  deviceLocale?: string;
}

export class DeviceDto {
  @ApiProperty() deviceId!: string;
  @ApiProperty() platform!: string;
  @ApiProperty({ type: String, nullable: true }) model!: string | null;
  @ApiProperty({ type: String, nullable: true }) osVersion!: string | null;
  @ApiProperty() appVersion!: string;
  @ApiProperty({ type: String, nullable: true }) appLocale!: string | null;
  @ApiProperty({ type: String, nullable: true }) deviceLocale!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class DeviceQueryDto extends PageQueryDto {
  @ApiPropertyOptional()
  @Optional()
  @Matches(PLATFORM_PATTERN, { message: PLATFORM_RULE })
  platform?: string;

  @ApiPropertyOptional()
  @Optional()
  @Matches(VERSION_PATTERN, { message: 'appVersion must be 1-4 dot-separated integers' })
  appVersion?: string;
}

export const DevicePageDto = pageOf(DeviceDto);
export type DevicePageDto = Page<DeviceDto>;

export class InstallStatDto {
  @ApiProperty() platform!: string;
  @ApiProperty() appVersion!: string;
  @ApiProperty() installs!: number;
}

export const InstallStatPageDto = pageOf(InstallStatDto);

export class CreateClientKeyDto {
  @ApiProperty({ minLength: 1, maxLength: 128 })
  @IsString()
  @Length(1, 128)
  name!: string;
}

export class ClientKeyDto {
  @ApiProperty() keyId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) revokedAt!: string | null;
}

export const ClientKeyPageDto = pageOf(ClientKeyDto);

export class ClientKeySecretDto {
  @ApiProperty() keyId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ description: 'Shown once: the HMAC-SHA256 secret clients sign requests with' })
  secret!: string;
}
