import type { ServerEventSpec, ServerEventsOf, ClientEventSpec } from '../realtime/server-events.js';
import {
  AuthRefreshDto,
  AuthRefreshedDto,
  PresenceEventDto,
  ServerShutdownEventDto,
  SessionNoticeEventDto,
  SessionRevokedEventDto,
  SessionStateDto,
} from './dto/connections.dto.js';

/** What the server tells a socket about itself, its session and its friends' presence. */
export const CONNECTIONS_SERVER_EVENTS = {
  presence: { payload: PresenceEventDto, summary: 'A friend came online or went offline' },
  'session:revoked': {
    payload: SessionRevokedEventDto,
    summary: 'The socket’s session was revoked; the socket is disconnected',
  },
  'session:expiring': {
    payload: SessionNoticeEventDto,
    summary: 'The socket’s access token ends soon: send `auth:refresh` with a fresh one before expiresAt',
  },
  'session:expired': {
    payload: SessionNoticeEventDto,
    summary: 'The access token ended without a refresh; the socket is disconnected',
  },
  'server:shutdown': {
    payload: ServerShutdownEventDto,
    summary: 'The node is draining: the connection drops; reconnect after retryAfterMs, then sync',
  },
} as const satisfies Record<string, ServerEventSpec>;

/** What a client tells about its socket and session. */
export const CONNECTIONS_CLIENT_EVENTS = {
  'auth:refresh': {
    payload: AuthRefreshDto,
    result: AuthRefreshedDto,
    summary: 'Give the socket a fresh access token of the same session before it expires',
  },
  'session:state': {
    payload: SessionStateDto,
    result: null,
    summary: 'Whether the user is looking at this device (inactive sessions get push notifications)',
  },
} as const satisfies Record<string, ClientEventSpec>;

declare module '../realtime/server-events.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface ServerEvents extends ServerEventsOf<typeof CONNECTIONS_SERVER_EVENTS> {}
}
