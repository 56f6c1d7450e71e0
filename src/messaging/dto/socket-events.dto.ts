import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** `receipt`: a member's delivered or read watermark moved. */
export class ReceiptEventDto {
  @ApiProperty({ format: 'uuid' }) conversationId!: string;
  @ApiProperty({ format: 'uuid' }) userId!: string;
  @ApiPropertyOptional({ type: 'integer', minimum: 0 }) deliveredSeq?: number;
  @ApiPropertyOptional({ type: 'integer', minimum: 0 }) readSeq?: number;
}

/** `typing`: a member started or stopped typing (never sent to the typist's own devices). */
export class TypingEventDto {
  @ApiProperty({ format: 'uuid' }) conversationId!: string;
  @ApiProperty({ format: 'uuid' }) userId!: string;
  @ApiProperty() typing!: boolean;
}

/** `presence`: a friend came online or went offline. */
export class PresenceEventDto {
  @ApiProperty({ format: 'uuid' }) userId!: string;
  @ApiProperty() online!: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastSeenAt!: string | null;
}

/** `conversation:left`: the user left, was removed from, or saw the deletion of a conversation. */
export class ConversationLeftEventDto {
  @ApiProperty({ format: 'uuid' }) conversationId!: string;
}

/** `session:revoked`: the socket's session was revoked (logout elsewhere, an admin); it disconnects. */
export class SessionRevokedEventDto {
  @ApiProperty({ format: 'uuid' }) sessionId!: string;
}

/** `session:expiring` (send `auth:refresh` before then) and `session:expired` (the socket is closed). */
export class SessionNoticeEventDto {
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
}

/** `server:shutdown`: the node is draining; reconnect (to it or another node) after the delay. */
export class ServerShutdownEventDto {
  @ApiProperty({ enum: [true] }) reconnect!: true;
  @ApiProperty({ type: 'integer' }) retryAfterMs!: number;
}

/** What `auth:refresh` acknowledges: when the socket now ends. */
export class AuthRefreshedDto {
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
}
