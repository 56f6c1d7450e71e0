import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsString, Length, MaxLength } from 'class-validator';
import { MESSAGE_TYPES, type MessageType } from '../../messaging/message.entity.js';
import { BODY_CEILING } from '../../messaging/dto/message.dto.js';
import { IsUuid } from '../../common/validation/is-uuid.js';
import { pageOf } from '../../common/pagination/cursor.js';
import { Optional } from '../../common/validation/optional.js';

export const MAX_PUSH_USERS = 1000;

export class CreateAppDto {
  @ApiProperty({ minLength: 1, maxLength: 128 })
  @IsString()
  @Length(1, 128)
  name!: string;
}

export class AppDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) tenantId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export const AppPageDto = pageOf(AppDto);

export class AppWithKeyDto extends AppDto {
  @ApiProperty({ description: 'Shown once; send it as X-App-Key. Stored only as a hash.' }) apiKey!: string;
}

export class PushDto {
  @ApiPropertyOptional({ type: [String], format: 'uuid', maxItems: MAX_PUSH_USERS })
  @Optional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_PUSH_USERS, { message: `toUserIds: at most ${MAX_PUSH_USERS} recipients per push` })
  @IsUuid({ each: true })
  toUserIds?: string[];

  @ApiPropertyOptional({ format: 'uuid', description: 'Every member of a group of the app’s tenant' })
  @Optional()
  @IsUuid()
  groupId?: string;

  @ApiPropertyOptional({
    format: 'uuid',
    description: 'Every member of an org unit of the tenant, and of the units below it',
  })
  @Optional()
  @IsUuid()
  orgUnitId?: string;

  @ApiPropertyOptional({ enum: MESSAGE_TYPES, default: 'text' })
  @Optional()
  @IsIn(MESSAGE_TYPES)
  type?: MessageType;

  @ApiProperty({ maxLength: 4000 })
  @IsString()
  @MaxLength(BODY_CEILING)
  body!: string;

  @ApiPropertyOptional({
    enum: ['all', 'active'],
    default: 'all',
    description: 'active: only users with a connected session marked active',
  })
  @Optional()
  @IsIn(['all', 'active'])
  sessions?: 'all' | 'active';
}

export class PushDeliveredDto {
  @ApiProperty({ format: 'uuid' }) userId!: string;
  @ApiProperty({ format: 'uuid' }) messageId!: string;
}

export class PushSkippedDto {
  @ApiProperty({ format: 'uuid' }) userId!: string;
  @ApiProperty({ enum: ['unknown_user', 'not_in_tenant', 'muted', 'no_active_session'] }) reason!: string;
}

export class PushResultDto {
  @ApiProperty({ type: [PushDeliveredDto] }) delivered!: PushDeliveredDto[];
  @ApiProperty({ type: [PushSkippedDto] }) skipped!: PushSkippedDto[];
}
