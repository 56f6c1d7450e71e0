import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsString, Length } from 'class-validator';

/** `auth:refresh`: a fresh access token for the socket. */
export class AuthRefreshDto {
  @ApiProperty({ description: 'A fresh access token of the socket’s own session', maxLength: 4096 })
  @IsString()
  @Length(1, 4096)
  token!: string;
}

/** What `auth:refresh` acknowledges: when the socket now ends. */
export class AuthRefreshedDto {
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
}

/** `session:state`: whether the user is looking at this device. */
export class SessionStateDto {
  @ApiProperty({
    enum: ['active', 'inactive'],
    description: 'inactive: the user is not looking at this device',
  })
  @IsIn(['active', 'inactive'])
  state!: 'active' | 'inactive';
}

/** `presence`: a friend came online or went offline. */
export class PresenceEventDto {
  @ApiProperty({ format: 'uuid' }) userId!: string;
  @ApiProperty() online!: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastSeenAt!: string | null;
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
