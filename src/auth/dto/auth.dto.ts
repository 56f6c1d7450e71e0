import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsObject, IsString, Matches, MaxLength, MinLength, ValidateNested } from 'class-validator';
import { MeDto, UsernameFieldDto } from '../../users/dto/user.dto.js';
import type { Session } from '../session.entity.js';
import { Optional } from '../../common/validation/optional.js';

export const PASSWORD_RULE =
  'password must be 8-128 characters with at least one letter and one digit or symbol';

/** The device a session is opened on (login and registration), not a registry entry. */
export class LoginDeviceDto {
  @ApiProperty({ maxLength: 128, example: '5f0c3c1e-device' })
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  deviceId!: string;

  @ApiProperty({ pattern: '^[a-z0-9][a-z0-9_-]{0,31}$', example: 'ios' })
  @IsString()
  @Matches(/^[a-z0-9][a-z0-9_-]{0,31}$/, { message: 'platform must match ^[a-z0-9][a-z0-9_-]{0,31}$' })
  platform!: string;

  @ApiPropertyOptional({ maxLength: 128, example: 'Alice’s iPhone' })
  @Optional()
  @IsString()
  @MaxLength(128)
  name?: string;
}

export class RegisterDto extends UsernameFieldDto {
  @ApiProperty({ minLength: 8, maxLength: 128, description: PASSWORD_RULE })
  @IsString()
  @MinLength(8, { message: PASSWORD_RULE })
  @MaxLength(128, { message: PASSWORD_RULE })
  @Matches(/^(?=.*\p{L})(?=.*[\p{N}\p{P}\p{S}]).*$/u, { message: PASSWORD_RULE })
  password!: string;

  @ApiPropertyOptional({ maxLength: 64 })
  @Optional()
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  displayName?: string;

  @ApiPropertyOptional({ type: LoginDeviceDto })
  @Optional()
  @IsObject()
  @ValidateNested()
  @Type(() => LoginDeviceDto)
  device?: LoginDeviceDto;
}

export class LoginDto {
  @ApiProperty({ example: 'alice' })
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  username!: string;

  @ApiProperty()
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  password!: string;

  @ApiPropertyOptional({ type: LoginDeviceDto })
  @Optional()
  @IsObject()
  @ValidateNested()
  @Type(() => LoginDeviceDto)
  device?: LoginDeviceDto;
}

export class RefreshDto {
  @ApiProperty()
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  refreshToken!: string;
}

export class AuthResultDto {
  @ApiProperty({ type: MeDto }) user!: MeDto;
  @ApiProperty({ description: 'Bearer token for REST and the socket handshake (15 min)' })
  accessToken!: string;
  @ApiProperty({ description: 'Single-use; exchange at /auth/refresh for a new pair' }) refreshToken!: string;
  @ApiProperty({ format: 'uuid' }) sessionId!: string;
}

export class TokenPairDto {
  @ApiProperty() accessToken!: string;
  @ApiProperty() refreshToken!: string;
  @ApiProperty({ format: 'uuid' }) sessionId!: string;
}

export class WsTicketDto {
  @ApiProperty({ description: 'Single-use socket handshake ticket: io(url, {auth: {token}})' })
  token!: string;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
}

export class SessionDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ nullable: true, type: String }) deviceId!: string | null;
  @ApiProperty({ nullable: true, type: String }) platform!: string | null;
  @ApiProperty({ nullable: true, type: String }) deviceName!: string | null;
  @ApiProperty({ enum: ['active', 'inactive'] }) state!: 'active' | 'inactive';
  @ApiProperty({ description: 'The session of the token making this call' }) current!: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) lastUsedAt!: string;

  static from(s: Session, currentSessionId: string): SessionDto {
    return {
      id: s.id,
      deviceId: s.deviceId,
      platform: s.platform,
      deviceName: s.deviceName,
      state: s.state,
      current: s.id === currentSessionId,
      createdAt: s.createdAt.toISOString(),
      lastUsedAt: s.lastUsedAt.toISOString(),
    };
  }
}

export class SessionListDto {
  @ApiProperty({ type: [SessionDto] }) items!: SessionDto[];
  @ApiProperty({ type: String, nullable: true, description: 'Always null: at most 100 live sessions' })
  nextCursor!: null;
}

export class UpdateSessionDto {
  @ApiProperty({ enum: ['active', 'inactive'] })
  @IsIn(['active', 'inactive'])
  state!: 'active' | 'inactive';
}
