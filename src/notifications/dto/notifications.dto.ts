import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsISO8601,
  IsObject,
  IsString,
  MaxLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { PUSH_KINDS, type PushKind, type PushSubscription } from '../push-subscription.entity.js';
import type { NotificationSettings } from '../notification-settings.entity.js';
import { Optional } from '../../common/validation/optional.js';
import { type Page, pageOf } from '../../common/pagination/cursor.js';

export class WebPushKeysDto {
  @ApiProperty({ description: 'The browser’s P-256 public key (65 bytes, base64url)' })
  @IsString()
  @MaxLength(128)
  p256dh!: string;

  @ApiProperty({ description: 'The browser’s auth secret (16 bytes, base64url)' })
  @IsString()
  @MaxLength(64)
  auth!: string;
}

const isWebPush = (o: { kind?: unknown }): boolean => o.kind === 'webpush';
const isToken = (o: { kind?: unknown }): boolean => o.kind === 'apns' || o.kind === 'fcm';

export class CreatePushSubscriptionDto {
  @ApiProperty({ enum: PUSH_KINDS })
  @IsIn(PUSH_KINDS)
  kind!: PushKind;

  @ApiPropertyOptional({
    description: 'webpush: the PushSubscription endpoint (https, on a host in PUSH_ENDPOINT_HOSTS)',
    maxLength: 1024,
  })
  @ValidateIf(isWebPush)
  @IsString()
  @MaxLength(1024)
  endpoint?: string;

  @ApiPropertyOptional({ type: WebPushKeysDto, description: 'webpush: the PushSubscription keys' })
  @ValidateIf(isWebPush)
  @IsObject()
  @ValidateNested()
  @Type(() => WebPushKeysDto)
  keys?: WebPushKeysDto;

  @ApiPropertyOptional({
    description: 'apns: the device token (hex); fcm: the registration token',
    maxLength: 1024,
  })
  @ValidateIf(isToken)
  @IsString()
  @MaxLength(1024)
  token?: string;
}

export class PushSubscriptionDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: PUSH_KINDS }) kind!: PushKind;
  @ApiProperty({
    format: 'uuid',
    description: 'The session it is bound to (revoking it deletes the subscription)',
  })
  sessionId!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;

  static from(s: Pick<PushSubscription, 'id' | 'kind' | 'sessionId' | 'createdAt'>): PushSubscriptionDto {
    return { id: s.id, kind: s.kind, sessionId: s.sessionId, createdAt: s.createdAt.toISOString() };
  }
}

export const PushSubscriptionPageDto = pageOf(PushSubscriptionDto);
export type PushSubscriptionPageDto = Page<PushSubscriptionDto>;

export class VapidPublicKeyDto {
  @ApiProperty({
    description: 'The VAPID public key (base64url) for PushManager.subscribe applicationServerKey',
  })
  publicKey!: string;
}

export class NotificationSettingsDto {
  @ApiProperty({ description: 'Show message text in notifications; false: "New message"' })
  showPreviews!: boolean;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'No notifications until then',
  })
  doNotDisturbUntil!: string | null;

  static from(s: Pick<NotificationSettings, 'showPreviews' | 'doNotDisturbUntil'>): NotificationSettingsDto {
    return { showPreviews: s.showPreviews, doNotDisturbUntil: s.doNotDisturbUntil?.toISOString() ?? null };
  }
}

export class UpdateNotificationSettingsDto {
  @ApiPropertyOptional({ description: 'Absent: unchanged' })
  @Optional()
  @IsBoolean()
  showPreviews?: boolean;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'null ends do-not-disturb; absent: unchanged',
  })
  @ValidateIf(
    (o: UpdateNotificationSettingsDto) => o.doNotDisturbUntil !== null && o.doNotDisturbUntil !== undefined,
  )
  @IsISO8601({ strict: true, strictSeparator: true })
  doNotDisturbUntil?: string | null;
}
