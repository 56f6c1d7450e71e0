import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { clampLimit } from '../../common/pagination/cursor.js';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsObject,
  IsString,
  Length,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { RECIPIENT_TYPES, type RecipientType } from '../conversation-policy.js';
import { MESSAGE_TYPES, type Message, type MessageType } from '../message.entity.js';
import { IsUuid } from '../../common/validation/is-uuid.js';
import { Optional } from '../../common/validation/optional.js';

/** Hard ceiling of the DTO; the configured MAX_MESSAGE_LENGTH (default 4000) is checked by the service. */
export const BODY_CEILING = 100_000;

export class RecipientDto {
  @ApiProperty({ enum: RECIPIENT_TYPES })
  @IsIn(RECIPIENT_TYPES)
  type!: RecipientType;

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
  @Optional()
  @IsObject()
  @ValidateNested()
  @Type(() => RecipientDto)
  to?: RecipientDto;

  @ApiPropertyOptional({ format: 'uuid', description: 'An existing conversation of the caller; or give to' })
  @Optional()
  @IsUuid()
  conversationId?: string;

  @ApiPropertyOptional({ enum: MESSAGE_TYPES.filter((t) => t !== 'system'), default: 'text' })
  @Optional()
  @IsIn(MESSAGE_TYPES.filter((t) => t !== 'system'))
  type?: Exclude<MessageType, 'system'>;

  @ApiProperty({ maxLength: 4000, description: 'May be empty when attachments are given' })
  @IsString()
  @MaxLength(BODY_CEILING)
  body!: string;

  @ApiPropertyOptional({ type: [AttachmentRefDto], maxItems: 10 })
  @Optional()
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
  @Optional()
  @IsString()
  @Length(1, 128)
  clientMsgId?: string;

  /**
   * The common shape of a send ({conversationId, body, clientMsgId, type?} with plain values),
   * checked without class-validator's per-field machinery; null for anything else, which then
   * takes the full validation and its precise errors. Accepts only what the decorators accept.
   */
  static parseSimple(payload: unknown): SendMessageDto | null {
    if (
      typeof payload !== 'object' ||
      payload === null ||
      Object.getPrototypeOf(payload) !== Object.prototype
    )
      return null;
    const p = payload as Record<string, unknown>;
    let keys = 0;
    for (const key in p) {
      if (!Object.hasOwn(p, key) || !SIMPLE_KEYS.has(key)) return null;
      keys++;
    }
    const { conversationId, body, clientMsgId, type } = p;
    if (typeof conversationId !== 'string' || !UUID.test(conversationId)) return null;
    // Control characters were refused already: the SocketRouter checks every payload first.
    if (typeof body !== 'string' || body.length > BODY_CEILING) return null;
    if (clientMsgId !== undefined && (typeof clientMsgId !== 'string' || !CLIENT_MSG_ID.test(clientMsgId)))
      return null;
    if (type !== undefined && !SENDABLE_TYPES.includes(type as MessageType)) return null;
    if (keys !== 2 + Number(clientMsgId !== undefined) + Number(type !== undefined)) return null;
    return Object.assign(new SendMessageDto(), {
      conversationId: conversationId.toLowerCase(),
      body,
      ...(clientMsgId !== undefined ? { clientMsgId } : {}),
      ...(type !== undefined ? { type: type as Exclude<MessageType, 'system'> } : {}),
    });
  }
}

const SIMPLE_KEYS = new Set(['conversationId', 'body', 'clientMsgId', 'type']);
const SENDABLE_TYPES: readonly MessageType[] = MESSAGE_TYPES.filter((t) => t !== 'system');
/** What class-validator's IsUUID() accepts (versions 1-8, RFC variant; nil and max take the long way). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
/** Printable ASCII, 1-128 characters: a subset of what @Length(1, 128) accepts. */
const CLIENT_MSG_ID = /^[\x21-\x7e]{1,128}$/;

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
  @Optional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  afterSeq?: number;

  @ApiPropertyOptional({ description: 'Messages with seq less than this (the newest of them)' })
  @Optional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  beforeSeq?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 50 })
  @Optional()
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
