import type { Type } from '@nestjs/common';
import { GroupIdDto, TopicInviteDto } from '../groups/dto/group.dto.js';
import {
  ConversationDto,
  ConversationSeqDto,
  MessageIdDto,
  SyncDto,
  SyncResultDto,
  TypingDto,
} from '../messaging/dto/conversation.dto.js';
import { MessageDto, SendMessageDto } from '../messaging/dto/message.dto.js';
import { AuthRefreshDto, EditMessageSocketDto, SessionStateDto } from '../messaging/dto/socket.dto.js';
import {
  AuthRefreshedDto,
  ConversationLeftEventDto,
  PresenceEventDto,
  ReceiptEventDto,
  ServerShutdownEventDto,
  SessionNoticeEventDto,
  SessionRevokedEventDto,
  TypingEventDto,
} from '../messaging/dto/socket-events.dto.js';
import { ReleaseDto } from '../updates/dto/updates.dto.js';
import { SocketErrorDto } from './socket-ack.dto.js';

/**
 * The socket contract, the one source of truth for it: every event the server sends and every
 * event a client may send, each with the DTO class of its payload (and of its ack's `data`).
 * Relay's own types (`ServerEvents`, the `SocketRouter`'s handlers), the AsyncAPI document at
 * /docs/events and the client SDK's types are all derived from these two tables.
 */
export interface ServerEventSpec {
  payload: Type;
  summary: string;
}

export interface ClientEventSpec {
  payload: Type;
  /** The ack's `data`; null: an empty object. */
  result: Type | null;
  summary: string;
  /** A read that may return much: budgeted apart (RATE_LIMIT_SOCKET_READS_PER_10S). */
  expensive?: boolean;
}

export const SERVER_EVENTS = {
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
  presence: { payload: PresenceEventDto, summary: 'A friend came online or went offline' },
  'conversation:joined': {
    payload: ConversationDto,
    summary: 'The user became a member of a conversation (its messages now arrive on this socket)',
  },
  'conversation:left': {
    payload: ConversationLeftEventDto,
    summary: 'The user left or was removed from a conversation, or it was deleted',
  },
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
  'update:available': {
    payload: ReleaseDto,
    summary: 'A newer release for the client’s platform (sockets that gave platform and version)',
  },
} as const satisfies Record<string, ServerEventSpec>;

export const CLIENT_EVENTS = {
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
  'topic:subscribe': { payload: GroupIdDto, result: null, summary: 'Join a public topic' },
  'topic:unsubscribe': { payload: GroupIdDto, result: null, summary: 'Leave a topic' },
  'topic:invite': { payload: TopicInviteDto, result: null, summary: 'Invite a user to a private topic' },
} as const satisfies Record<string, ClientEventSpec>;

export type ServerEventName = keyof typeof SERVER_EVENTS;
export type ClientEventName = keyof typeof CLIENT_EVENTS;

/** Every event the server sends, with its payload. */
export type ServerEventMap = {
  [E in ServerEventName]: (payload: InstanceType<(typeof SERVER_EVENTS)[E]['payload']>) => void;
};

/** What a client event's ack carries as `data`. */
export type ClientResult<E extends ClientEventName> =
  (typeof CLIENT_EVENTS)[E]['result'] extends Type<infer R> ? R : Record<string, never>;

/** Every DTO class the contract names, and the refused ack's error (for the documents). */
export function contractModels(): Type[] {
  const models: Type[] = [SocketErrorDto];
  for (const spec of Object.values(SERVER_EVENTS) as ServerEventSpec[]) models.push(spec.payload);
  for (const spec of Object.values(CLIENT_EVENTS) as ClientEventSpec[]) {
    models.push(spec.payload, ...(spec.result ? [spec.result] : []));
  }
  return [...new Set(models)];
}
