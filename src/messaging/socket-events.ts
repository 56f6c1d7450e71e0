import type { Ack } from '../common/socket-ack.js';
import type { AuthUser } from '../auth/auth-context.js';
import type { ConversationDto, SyncResultDto } from './dto/conversation.dto.js';
import type { MessageDto } from './dto/message.dto.js';

/** Every event the server sends, with its payload. */
export interface ServerEvents {
  'message:new': (message: MessageDto) => void;
  'message:updated': (message: MessageDto) => void;
  'message:deleted': (message: MessageDto) => void;
  receipt: (receipt: { conversationId: string; userId: string; deliveredSeq?: number; readSeq?: number }) => void;
  typing: (typing: { conversationId: string; userId: string; typing: boolean }) => void;
  presence: (presence: { userId: string; online: boolean; lastSeenAt: string | null }) => void;
  'conversation:joined': (conversation: Pick<ConversationDto, 'id' | 'type'> & Partial<ConversationDto>) => void;
  'conversation:left': (left: { conversationId: string }) => void;
  'session:revoked': (revoked: { sessionId: string }) => void;
  'server:shutdown': (notice: { reconnect: true; retryAfterMs: number }) => void;
}

/** What the client may send (each takes an ack callback). */
export interface ClientEvents {
  'message:send': (payload: unknown, ack: (a: Ack<MessageDto>) => void) => void;
  sync: (payload: unknown, ack: (a: Ack<SyncResultDto>) => void) => void;
}

export interface SocketData {
  auth: AuthUser;
}
