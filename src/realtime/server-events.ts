import type { Type } from '@nestjs/common';
import type { DefaultEventsMap, Server, Socket } from 'socket.io';
import type { AuthUser } from '../common/auth/auth-context.js';

/** An event the server sends: the DTO class of its payload. */
export interface ServerEventSpec {
  payload: Type;
  summary: string;
}

/** An event a client may send: the DTO classes of its payload and of its ack's `data`. */
export interface ClientEventSpec {
  payload: Type;
  /** The ack's `data`; null: an empty object. */
  result: Type | null;
  summary: string;
  /** A read that may return much: budgeted apart (RATE_LIMIT_SOCKET_READS_PER_10S). */
  expensive?: boolean;
}

/** The event map of a module's table of server events. */
export type ServerEventsOf<T extends Record<string, ServerEventSpec>> = {
  [E in keyof T]: (payload: InstanceType<T[E]['payload']>) => void;
};

/** What an event's ack carries as `data`. */
export type ResultOf<S extends ClientEventSpec> =
  S['result'] extends Type<infer R> ? R : Record<string, never>;

/**
 * Every event the server sends, with its payload: the only events anything may emit. Each module
 * that sends events declares them in its own `*.socket-events.ts` table and adds them here:
 *
 * ```ts
 * declare module '../realtime/server-events.js' {
 *   interface ServerEvents extends ServerEventsOf<typeof MESSAGING_SERVER_EVENTS> {}
 * }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ServerEvents {}

export type ServerEvent = keyof ServerEvents;
export type PayloadOf<E extends ServerEvent> = Parameters<ServerEvents[E]>[0];

/** What the handshake leaves on every admitted socket. */
export interface SocketData {
  /** Who the socket acts for, and when its token (and so the socket) ends, in ms since the epoch. */
  auth: AuthUser & { expiresAt: number };
}

export type RelayServer = Server<DefaultEventsMap, ServerEvents, DefaultEventsMap, SocketData>;
export type RelaySocket = Socket<DefaultEventsMap, ServerEvents, DefaultEventsMap, SocketData>;
