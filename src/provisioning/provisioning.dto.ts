import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsString, Length, MaxLength } from 'class-validator';
import { IsUuid } from '../common/validation/is-uuid.js';
import { Optional } from '../common/validation/optional.js';

export class UpsertServiceUserDto {
  @ApiProperty({ maxLength: 255, description: 'The host’s username; made into a valid Relay username' })
  @IsString()
  @Length(1, 255)
  username!: string;

  @ApiPropertyOptional({ maxLength: 64 })
  @Optional()
  @IsString()
  @MaxLength(64)
  displayName?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'A tenant to make the user a member of' })
  @Optional()
  @IsUuid()
  tenantId?: string;
}

export class ServiceUserDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() externalId!: string;
  @ApiProperty() username!: string;
  @ApiProperty() displayName!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class ServiceFriendshipDto {
  @ApiProperty({ description: 'externalId of one user' })
  @IsString()
  @Length(1, 255)
  a!: string;

  @ApiProperty({ description: 'externalId of the other user' })
  @IsString()
  @Length(1, 255)
  b!: string;
}

export class ServiceGroupDto {
  @ApiProperty({ minLength: 1, maxLength: 128 })
  @IsString()
  @Length(1, 128)
  name!: string;

  @ApiProperty({
    type: [String],
    description: 'externalIds of every member (the membership is set to exactly these)',
    maxItems: 10000,
  })
  @IsArray()
  @ArrayMaxSize(10000)
  @IsString({ each: true })
  @Length(1, 255, { each: true })
  memberExternalIds!: string[];
}
