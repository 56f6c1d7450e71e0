import type { DefaultEventsMap, Server, Socket } from 'socket.io';
import type { AuthUser } from '../common/auth/auth-context.js';
import type { ConversationDto } from '../messaging/dto/conversation.dto.js';
import type { MessageDto } from '../messaging/dto/message.dto.js';
import type { ReleaseDto } from '../updates/dto/updates.dto.js';

/** Every event the server sends, with its payload: the only events any gateway may emit. */
export interface ServerEvents {
  'message:new': (message: MessageDto) => void;
  'message:updated': (message: MessageDto) => void;
  'message:deleted': (message: MessageDto) => void;
  receipt: (receipt: {
    conversationId: string;
    userId: string;
    deliveredSeq?: number;
    readSeq?: number;
  }) => void;
  typing: (typing: { conversationId: string; userId: string; typing: boolean }) => void;
  presence: (presence: { userId: string; online: boolean; lastSeenAt: string | null }) => void;
  'conversation:joined': (conversation: ConversationDto) => void;
  'conversation:left': (left: { conversationId: string }) => void;
  'session:revoked': (revoked: { sessionId: string }) => void;
  'session:expiring': (notice: { expiresAt: string }) => void;
  'session:expired': (notice: { expiresAt: string }) => void;
  'server:shutdown': (notice: { reconnect: true; retryAfterMs: number }) => void;
  'update:available': (release: ReleaseDto) => void;
}

export type ServerEvent = keyof ServerEvents;
export type PayloadOf<E extends ServerEvent> = Parameters<ServerEvents[E]>[0];

/** What the handshake leaves on every admitted socket. */
export interface SocketData {
  /** Who the socket acts for, and when its token (and so the socket) ends, in ms since the epoch. */
  auth: AuthUser & { expiresAt: number };
}

export type RelayServer = Server<DefaultEventsMap, ServerEvents, DefaultEventsMap, SocketData>;
export type RelaySocket = Socket<DefaultEventsMap, ServerEvents, DefaultEventsMap, SocketData>;
