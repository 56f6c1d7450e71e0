import type { AuthUser } from '../auth/auth-context.js';
import type { ConversationDto } from './dto/conversation.dto.js';
import type { MessageDto } from './dto/message.dto.js';

/** Every event the server sends, with its payload. */
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
  'conversation:joined': (
    conversation: Pick<ConversationDto, 'id' | 'type'> & Partial<ConversationDto>,
  ) => void;
  'conversation:left': (left: { conversationId: string }) => void;
  'session:revoked': (revoked: { sessionId: string }) => void;
  'server:shutdown': (notice: { reconnect: true; retryAfterMs: number }) => void;
}

export interface SocketData {
  auth: AuthUser;
}
