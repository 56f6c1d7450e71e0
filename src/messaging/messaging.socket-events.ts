import type { ClientEventSpec, ServerEventSpec, ServerEventsOf } from '../realtime/server-events.js';
import {
  ConversationDto,
  ConversationSeqDto,
  MessageIdDto,
  SyncDto,
  SyncResultDto,
  TypingDto,
} from './dto/conversation.dto.js';
import { MessageDto, SendMessageDto } from './dto/message.dto.js';
import { EditMessageSocketDto } from './dto/socket.dto.js';
import { ConversationLeftEventDto, ReceiptEventDto, TypingEventDto } from './dto/socket-events.dto.js';

/** Messages and conversations as they change, to every device of every member. */
export const MESSAGING_SERVER_EVENTS = {
  'message:new': {
    payload: MessageDto,
    summary:
      'A message in one of the user’s conversations, to every device of every member (the sender’s other ' +
      'devices too), in seq order per conversation. Clients de-duplicate by id.',
  },
  'message:updated': { payload: MessageDto, summary: 'A message was edited' },
  'message:deleted': { payload: MessageDto, summary: 'A message was deleted (deletedAt set, body empty)' },
  receipt: { payload: ReceiptEventDto, summary: 'A member’s delivered or read watermark moved' },
  typing: { payload: TypingEventDto, summary: 'A member started or stopped typing' },
  'conversation:joined': {
    payload: ConversationDto,
    summary: 'The user became a member of a conversation (its messages now arrive on this socket)',
  },
  'conversation:left': {
    payload: ConversationLeftEventDto,
    summary: 'The user left or was removed from a conversation, or it was deleted',
  },
} as const satisfies Record<string, ServerEventSpec>;

/** Sending, changing and reading messages. */
export const MESSAGING_CLIENT_EVENTS = {
  'message:send': {
    payload: SendMessageDto,
    result: MessageDto,
    summary:
      'Send a message (`to` or `conversationId`); clientMsgId is required and makes retries safe: a retry ' +
      'is answered with the message already stored',
  },
  'message:edit': { payload: EditMessageSocketDto, result: MessageDto, summary: 'Edit one of your messages' },
  'message:delete': { payload: MessageIdDto, result: null, summary: 'Delete one of your messages' },
  'conversation:read': {
    payload: ConversationSeqDto,
    result: null,
    summary: 'Mark a conversation read up to seq (members are told with `receipt`)',
  },
  'conversation:delivered': {
    payload: ConversationSeqDto,
    result: null,
    summary: 'Mark a conversation delivered up to seq',
  },
  typing: { payload: TypingDto, result: null, summary: 'Tell the other members you are typing, or stopped' },
  sync: {
    payload: SyncDto,
    result: SyncResultDto,
    summary:
      'Messages after your cursors in every conversation; with `since` (the last syncToken) also edits, ' +
      'deletions and departures since then',
    expensive: true,
  },
} as const satisfies Record<string, ClientEventSpec>;

declare module '../realtime/server-events.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface ServerEvents extends ServerEventsOf<typeof MESSAGING_SERVER_EVENTS> {}
}
