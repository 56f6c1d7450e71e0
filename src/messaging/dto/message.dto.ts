import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { clampLimit } from '../../common/pagination/cursor.js';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Length,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { MESSAGE_TYPES, type Message, type MessageType } from '../message.entity.js';
import { IsUuid } from '../../common/validation/is-uuid.js';

/** Hard ceiling of the DTO; the configured MAX_MESSAGE_LENGTH (default 4000) is checked by the service. */
export const BODY_CEILING = 100_000;

export class RecipientDto {
  @ApiProperty({ enum: ['user', 'group', 'org'] })
  @IsIn(['user', 'group', 'org'])
  type!: 'user' | 'group' | 'org';

  @ApiProperty({ format: 'uuid' })
  @IsUuid()
  id!: string;
}

export class AttachmentRefDto {
  @ApiProperty({ format: 'uuid', description: 'An attachment the sender uploaded (POST /attachments)' })
  @IsUuid()
  id!: string;
}

export class SendMessageDto {
  @ApiPropertyOptional({ type: RecipientDto, description: 'Who to send to; or give conversationId' })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => RecipientDto)
  to?: RecipientDto;

  @ApiPropertyOptional({ format: 'uuid', description: 'An existing conversation of the caller; or give to' })
  @IsOptional()
  @IsUuid()
  conversationId?: string;

  @ApiPropertyOptional({ enum: MESSAGE_TYPES.filter((t) => t !== 'system'), default: 'text' })
  @IsOptional()
  @IsIn(MESSAGE_TYPES.filter((t) => t !== 'system'))
  type?: Exclude<MessageType, 'system'>;

  @ApiProperty({ maxLength: 4000, description: 'May be empty when attachments are given' })
  @IsString()
  @MaxLength(BODY_CEILING)
  body!: string;

  @ApiPropertyOptional({ type: [AttachmentRefDto], maxItems: 10 })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => AttachmentRefDto)
  attachments?: AttachmentRefDto[];

  @ApiPropertyOptional({
    minLength: 1,
    maxLength: 128,
    description: 'Idempotency key, unique per sender; a retry returns the stored message (200)',
  })
  @IsOptional()
  @IsString()
  @Length(1, 128)
  clientMsgId?: string;
}

export class FriendMessageDto {
  @ApiProperty({ maxLength: 4000 })
  @IsString()
  @MaxLength(BODY_CEILING)
  body!: string;
}

export class EditMessageDto {
  @ApiProperty({ maxLength: 4000 })
  @IsString()
  @MaxLength(BODY_CEILING)
  body!: string;
}

export class AttachmentViewDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: '/api/v1/attachments/2f1c…' }) url!: string;
  @ApiProperty({ example: 'image/png' }) mime!: string;
  @ApiProperty() size!: number;
  @ApiPropertyOptional({ type: String, nullable: true }) name?: string | null;
}

export class MessageDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) conversationId!: string;
  @ApiProperty({ description: 'Gapless position in the conversation, from 1' }) seq!: number;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) senderId!: string | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) appId!: string | null;
  @ApiProperty({ enum: MESSAGE_TYPES }) type!: MessageType;
  @ApiProperty() body!: string;
  @ApiProperty({ type: [AttachmentViewDto] }) attachments!: AttachmentViewDto[];
  @ApiProperty({ nullable: true, type: String }) clientMsgId!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) editedAt!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) deletedAt!: string | null;

  static from(m: Message): MessageDto {
    return {
      id: m.id,
      conversationId: m.conversationId,
      seq: m.seq,
      senderId: m.senderId,
      appId: m.appId,
      type: m.type,
      body: m.body,
      attachments: m.attachments.map((a) => ({
        id: a.id,
        url: `/api/v1/attachments/${a.id}`,
        mime: a.mime,
        size: a.size,
        name: a.name,
      })),
      clientMsgId: m.clientMsgId,
      createdAt: m.createdAt.toISOString(),
      editedAt: m.editedAt?.toISOString() ?? null,
      deletedAt: m.deletedAt?.toISOString() ?? null,
    };
  }
}

export class MessageRangeDto {
  @ApiProperty({ type: [MessageDto] }) items!: MessageDto[];
  @ApiProperty({ description: 'More messages exist beyond this page in the direction of travel' })
  hasMore!: boolean;
}

const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;

export class MessageRangeQueryDto {
  @ApiPropertyOptional({ description: 'Messages with seq greater than this, ascending' })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  afterSeq?: number;

  @ApiPropertyOptional({ description: 'Messages with seq less than this (the newest of them)' })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  beforeSeq?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 50 })
  @IsOptional()
  @Transform(clampLimit)
  @IsInt()
  @Min(1)
  limit?: number;
}

export class DirectHistoryQueryDto extends MessageRangeQueryDto {
  @ApiProperty({ format: 'uuid', description: 'The other user' })
  @IsUuid()
  with!: string;
}
