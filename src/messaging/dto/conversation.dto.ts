import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsInt,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { clampLimit, MAX_PAGE_SIZE, type Page, pageOf } from '../../common/pagination/cursor.js';
import { CONVERSATION_TYPES, type ConversationType } from '../conversation.entity.js';
import { MessageDto } from './message.dto.js';
import { IsUuid } from '../../common/validation/is-uuid.js';
import { Optional } from '../../common/validation/optional.js';

export class ConversationDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: CONVERSATION_TYPES }) type!: ConversationType;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'For direct conversations, the peer’s display name',
  })
  title!: string | null;
  @ApiPropertyOptional({ format: 'uuid' }) peerId?: string;
  @ApiPropertyOptional({ format: 'uuid' }) groupId?: string;
  @ApiPropertyOptional({ format: 'uuid' }) orgUnitId?: string;
  @ApiPropertyOptional({ format: 'uuid' }) appId?: string;
  @ApiProperty() lastSeq!: number;
  @ApiProperty() readSeq!: number;
  @ApiProperty() unread!: number;
  @ApiProperty({ type: MessageDto, nullable: true }) lastMessage!: MessageDto | null;
}

export const ConversationPageDto = pageOf(ConversationDto);
export type ConversationPageDto = Page<ConversationDto>;

export class SeqDto {
  @ApiProperty({ minimum: 0 })
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  seq!: number;
}

export class MuteDto {
  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'Muted until this time; null or absent: until unmuted',
  })
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true })
  until?: string | null;
}

export class ConversationSeqDto extends SeqDto {
  @ApiProperty({ format: 'uuid' })
  @IsUuid()
  conversationId!: string;
}

export class TypingDto {
  @ApiProperty({ format: 'uuid' })
  @IsUuid()
  conversationId!: string;

  @ApiProperty()
  @IsBoolean()
  typing!: boolean;
}

export class MessageIdDto {
  @ApiProperty({ format: 'uuid' })
  @IsUuid()
  messageId!: string;
}

export class SyncDto {
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'integer', minimum: 0 },
    description: 'The last seq the client holds per conversation; conversations not named start at 0',
    example: { '6f1d0f8e-9c55-4a5e-8a43-5d8f0c2a4b11': 42 },
  })
  @Optional()
  @IsObject()
  cursors?: Record<string, number>;

  @ApiPropertyOptional({
    description:
      'The syncToken of the previous sync: the answer then also carries, in `changes`, what was edited, ' +
      'deleted or left since that sync',
  })
  @Optional()
  @IsString()
  @MaxLength(8192)
  since?: string;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: MAX_PAGE_SIZE,
    default: MAX_PAGE_SIZE,
    description: 'Messages per conversation',
  })
  @Optional()
  @Transform(clampLimit)
  @IsInt()
  @Min(1)
  limit?: number;
}

export class SyncedConversationDto {
  @ApiProperty({ format: 'uuid' }) conversationId!: string;
  @ApiProperty({ type: [MessageDto] }) messages!: MessageDto[];
  @ApiProperty() hasMore!: boolean;
}

export class SyncChangesDto {
  @ApiProperty({
    type: [MessageDto],
    description:
      'The current state of messages the client held (seq at or below its cursor) that were edited or ' +
      'deleted since `since` (a deleted message has deletedAt and an empty body)',
  })
  updated!: MessageDto[];

  @ApiProperty({
    type: [String],
    format: 'uuid',
    description: 'Conversations the caller left, was removed from or saw deleted since `since`',
  })
  left!: string[];
}

export class SyncResultDto {
  @ApiProperty({ type: [SyncedConversationDto] }) conversations!: SyncedConversationDto[];
  @ApiProperty({ type: SyncChangesDto, description: 'Empty without `since`' }) changes!: SyncChangesDto;
  @ApiProperty({ description: 'Opaque; send it back as `since` with the next sync' }) syncToken!: string;
}
