import type { DefaultEventsMap, Server, Socket } from 'socket.io';
import type { AuthUser } from '../common/auth/auth-context.js';
import type { ServerEventMap } from '../contract/socket-contract.js';

/** Every event the server sends, with its payload: the only events any gateway may emit (from the contract). */
export type ServerEvents = ServerEventMap;

export type ServerEvent = keyof ServerEvents;
export type PayloadOf<E extends ServerEvent> = Parameters<ServerEvents[E]>[0];

/** What the handshake leaves on every admitted socket. */
export interface SocketData {
  /** Who the socket acts for, and when its token (and so the socket) ends, in ms since the epoch. */
  auth: AuthUser & { expiresAt: number };
}

export type RelayServer = Server<DefaultEventsMap, ServerEvents, DefaultEventsMap, SocketData>;
export type RelaySocket = Socket<DefaultEventsMap, ServerEvents, DefaultEventsMap, SocketData>;
