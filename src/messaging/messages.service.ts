import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { isUUID } from 'class-validator';
import { DataSource, In } from 'typeorm';
import { AppConfig } from '../common/config/app-config.js';
import { AppError } from '../common/errors/app-error.js';
import { MAX_PAGE_SIZE } from '../common/pagination/cursor.js';
import { RateLimitService } from '../common/rate-limit/rate-limit.service.js';
import { isUniqueViolation } from '../database/pg-errors.js';
import { queryRows } from '../database/sql.js';
import { FriendsService } from '../users/friends.service.js';
import { Attachment } from './attachment.entity.js';
import { ConversationPolicies } from './conversation-policies.js';
import { type ConversationRef, ConversationsService, peerOf } from './conversations.service.js';
import type { SyncDto, SyncResultDto } from './dto/conversation.dto.js';
import { MessageDto, type SendMessageDto } from './dto/message.dto.js';
import type { Message, StoredAttachment } from './message.entity.js';
import { MessageChangedEvent, MessageCreatedEvent } from './messaging.events.js';

export interface SendContext {
  userId: string;
  /** The socket that sent the message, which gets the ack rather than message:new. */
  socketId?: string;
}

export interface SendResult {
  message: MessageDto;
  /** False when clientMsgId matched an earlier message, which is returned instead. */
  created: boolean;
}

export interface Range {
  afterSeq?: number;
  beforeSeq?: number;
  limit: number;
}

const MESSAGE_COLUMNS = `id, conversation_id AS "conversationId", seq::float8 AS seq, sender_id AS "senderId",
  app_id AS "appId", type, body, attachments, client_msg_id AS "clientMsgId", created_at AS "createdAt",
  edited_at AS "editedAt", deleted_at AS "deletedAt"`;

/**
 * The one messaging path for REST and Socket.IO: access check, then a single INSERT that takes the
 * next seq of the conversation in the same statement, then a domain event for delivery.
 */
@Injectable()
export class MessagesService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly conversations: ConversationsService,
    private readonly policies: ConversationPolicies,
    private readonly friends: FriendsService,
    private readonly limits: RateLimitService,
    private readonly events: EventEmitter2,
    private readonly config: AppConfig,
  ) {}

  async send(ctx: SendContext, dto: SendMessageDto): Promise<SendResult> {
    const body = this.checkBody(dto.body, (dto.attachments?.length ?? 0) > 0);
    if ((dto.attachments?.length ?? 0) > this.config.limits.attachments) {
      throw AppError.validation(`At most ${this.config.limits.attachments} attachments`, {
        fields: [{ field: 'attachments', problems: [`at most ${this.config.limits.attachments}`] }],
      });
    }
    // The access check and the retry lookup are independent: run them side by side.
    const [target, retry] = await Promise.allSettled([
      this.resolveTarget(ctx.userId, dto),
      dto.clientMsgId ? this.byClientMsgId(ctx.userId, dto.clientMsgId) : Promise.resolve(null),
    ]);
    if (retry.status === 'fulfilled' && retry.value)
      return { message: MessageDto.from(retry.value), created: false };
    if (target.status === 'rejected') throw target.reason;
    if (retry.status === 'rejected') throw retry.reason;
    const conversation = target.value;
    await this.consumeRate(ctx.userId);
    const attachments = await this.ownAttachments(ctx.userId, dto.attachments?.map((a) => a.id) ?? []);

    let message: Message;
    try {
      message = await this.insert(conversation.id, {
        senderId: ctx.userId,
        type: dto.type ?? 'text',
        body,
        attachments,
        clientMsgId: dto.clientMsgId ?? null,
      });
    } catch (error) {
      if (dto.clientMsgId && isUniqueViolation(error)) {
        // The same clientMsgId raced in concurrently; the winner's message is the answer.
        const earlier = await this.byClientMsgId(ctx.userId, dto.clientMsgId);
        if (earlier) return { message: MessageDto.from(earlier), created: false };
      }
      throw error;
    }
    const view = MessageDto.from(message);
    const memberIds = await this.conversations.memberIds(conversation.id);
    this.events.emit(
      MessageCreatedEvent.event,
      new MessageCreatedEvent(view, memberIds, ctx.socketId ?? null),
    );
    return { message: view, created: true };
  }

  /**
   * Stores a message with the conversation's next seq in one statement: the UPDATE takes the row
   * lock that orders concurrent senders, and a failed INSERT rolls the seq back with it.
   */
  async insert(
    conversationId: string,
    m: Pick<Message, 'type' | 'body' | 'attachments' | 'clientMsgId'> & {
      senderId?: string | null;
      appId?: string | null;
    },
  ): Promise<Message> {
    const rows = await queryRows<Message>(
      this.dataSource,
      `WITH next AS (
         UPDATE conversations SET last_seq = last_seq + 1, last_activity_at = now() WHERE id = $1 RETURNING last_seq
       ), stored AS (
         INSERT INTO messages (conversation_id, seq, sender_id, app_id, type, body, attachments, client_msg_id)
         SELECT $1, next.last_seq, $2, $3, $4, $5, $6::jsonb, $7 FROM next
         RETURNING *
       ), linked AS (
         INSERT INTO message_attachments (attachment_id, message_id, conversation_id)
         SELECT (a->>'id')::uuid, stored.id, stored.conversation_id
           FROM stored, jsonb_array_elements(stored.attachments) a
       )
       SELECT ${MESSAGE_COLUMNS} FROM stored`,
      [
        conversationId,
        m.senderId ?? null,
        m.appId ?? null,
        m.type,
        m.body,
        JSON.stringify(m.attachments),
        m.clientMsgId,
      ],
    );
    const row = rows[0];
    if (!row) throw AppError.notFound('Conversation');
    return row;
  }

  /**
   * Delivers one application message to many users, each in their own channel of the app: one
   * transaction of a few set-based statements whatever the number of users.
   */
  async deliverFromApp(
    app: { id: string; name: string },
    userIds: string[],
    content: { type: Message['type']; body: string },
  ): Promise<Map<string, MessageDto>> {
    const body = this.checkBody(content.body, false);
    if (userIds.length === 0) return new Map();
    const { rows, created, byUser } = await this.dataSource.transaction(async (tx) => {
      const channels = await this.conversations.ensureAppChannels(tx, app.id, app.name, userIds);
      const ids = [...channels.byUser.values()].sort();
      // Lock in one global order, so concurrent pushes to overlapping users cannot deadlock.
      await tx.query('SELECT id FROM conversations WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE', [ids]);
      const rows = await queryRows<Message>(
        tx,
        `WITH next AS (
           UPDATE conversations SET last_seq = last_seq + 1, last_activity_at = now()
            WHERE id = ANY($1::uuid[]) RETURNING id, last_seq
         ), stored AS (
           INSERT INTO messages (conversation_id, seq, app_id, type, body)
           SELECT next.id, next.last_seq, $2, $3, $4 FROM next RETURNING *
         )
         SELECT ${MESSAGE_COLUMNS} FROM stored`,
        [ids, app.id, content.type, body],
      );
      return { rows, created: channels.created, byUser: channels.byUser };
    });
    for (const [userId, conversationId] of created)
      this.conversations.announceJoined(conversationId, [userId]);
    const byConversation = new Map(rows.map((m) => [m.conversationId, MessageDto.from(m)]));
    const out = new Map<string, MessageDto>();
    for (const [userId, conversationId] of byUser) {
      const message = byConversation.get(conversationId);
      if (!message) continue;
      out.set(userId, message);
      this.events.emit(MessageCreatedEvent.event, new MessageCreatedEvent(message, [userId], null));
    }
    return out;
  }

  /** Messages stored since 00:00 UTC. */
  async countToday(): Promise<number> {
    const [row] = await queryRows<{ n: number }>(
      this.dataSource,
      `SELECT count(*)::int AS n FROM messages WHERE created_at >= (date_trunc('day', now() AT TIME ZONE 'utc') AT TIME ZONE 'utc')`,
    );
    return row?.n ?? 0;
  }

  async edit(userId: string, messageId: string, body: string): Promise<MessageDto> {
    const message = await this.ownMessage(userId, messageId);
    if (message.deletedAt) throw AppError.conflict('Message was deleted');
    const text = this.checkBody(body, message.attachments.length > 0);
    const [row] = await queryRows<Message>(
      this.dataSource,
      `UPDATE messages SET body = $2, edited_at = now() WHERE id = $1 RETURNING ${MESSAGE_COLUMNS}`,
      [messageId, text],
    );
    return this.changed('updated', row!);
  }

  /** Soft delete by the sender: the seq stays, the content goes. */
  async delete(userId: string, messageId: string): Promise<void> {
    const message = await this.ownMessage(userId, messageId, 'delete');
    if (message.deletedAt) return;
    const [row] = await queryRows<Message>(
      this.dataSource,
      `UPDATE messages SET body = '', attachments = '[]'::jsonb, deleted_at = now() WHERE id = $1 RETURNING ${MESSAGE_COLUMNS}`,
      [messageId],
    );
    await this.dataSource.query('DELETE FROM message_attachments WHERE message_id = $1', [messageId]);
    await this.changed('deleted', row!);
  }

  /** A slice of a conversation by seq, ascending. With no bound, the newest `limit` messages. */
  async range(
    userId: string,
    conversationId: string,
    range: Range,
  ): Promise<{ items: MessageDto[]; hasMore: boolean }> {
    await this.conversations.requireMember(conversationId, userId);
    return this.rangeOf(conversationId, range);
  }

  /** Direct history with one user (empty when the two never talked). */
  async withUser(
    userId: string,
    otherId: string,
    range: Range,
  ): Promise<{ items: MessageDto[]; hasMore: boolean }> {
    const conversation = await this.conversations.direct(userId, otherId, false);
    if (!conversation) return { items: [], hasMore: false };
    return this.rangeOf(conversation.id, range);
  }

  /** Checks the cursors of a sync request (conversation UUID → seq ≥ 0) and runs it. */
  syncFor(userId: string, dto: SyncDto): Promise<SyncResultDto> {
    const cursors: Record<string, number> = {};
    const bad: string[] = [];
    const entries = Object.entries(dto.cursors ?? {});
    if (entries.length > 10_000) throw AppError.validation('cursors: at most 10000 conversations');
    for (const [id, seq] of entries) {
      if (!isUUID(id) || typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) bad.push(id);
      else cursors[id.toLowerCase()] = seq;
    }
    if (bad.length > 0) {
      throw AppError.validation('cursors must map conversation ids to non-negative integer seqs', {
        fields: bad
          .slice(0, 20)
          .map((id) => ({ field: `cursors.${id}`, problems: ['conversation id → seq'] })),
      });
    }
    return this.sync(userId, cursors, dto.limit ?? MAX_PAGE_SIZE);
  }

  /**
   * Everything after the client's cursors, for every conversation of the caller that has something
   * new; two queries whatever the number of conversations.
   */
  async sync(userId: string, cursors: Record<string, number>, limit: number): Promise<SyncResultDto> {
    const mine = await queryRows<{ id: string; last_seq: string }>(
      this.dataSource,
      `SELECT c.id, c.last_seq FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id
        WHERE m.user_id = $1 ORDER BY c.last_activity_at DESC`,
      [userId],
    );
    const stale = mine.filter((c) => Number(c.last_seq) > (cursors[c.id] ?? 0));
    if (stale.length === 0) return { conversations: [] };
    const rows = await queryRows<Message>(
      this.dataSource,
      `SELECT ${MESSAGE_COLUMNS}
         FROM unnest($1::uuid[], $2::bigint[]) AS c(conv_id, after_seq)
         CROSS JOIN LATERAL (
           SELECT * FROM messages WHERE conversation_id = c.conv_id AND seq > c.after_seq ORDER BY seq LIMIT $3
         ) m`,
      [stale.map((c) => c.id), stale.map((c) => cursors[c.id] ?? 0), limit + 1],
    );
    const byConversation = new Map<string, Message[]>();
    for (const row of rows) {
      const list = byConversation.get(row.conversationId) ?? [];
      list.push(row);
      byConversation.set(row.conversationId, list);
    }
    return {
      conversations: stale.map((c) => {
        const list = (byConversation.get(c.id) ?? []).sort((a, b) => a.seq - b.seq);
        return {
          conversationId: c.id,
          messages: list.slice(0, limit).map((m) => MessageDto.from(m)),
          hasMore: list.length > limit,
        };
      }),
    };
  }

  private async rangeOf(conversationId: string, { afterSeq, beforeSeq, limit }: Range) {
    const newestFirst = afterSeq === undefined;
    const rows = await queryRows<Message>(
      this.dataSource,
      `SELECT ${MESSAGE_COLUMNS} FROM messages
        WHERE conversation_id = $1 AND ($2::bigint IS NULL OR seq > $2) AND ($3::bigint IS NULL OR seq < $3)
        ORDER BY seq ${newestFirst ? 'DESC' : 'ASC'} LIMIT $4`,
      [conversationId, afterSeq ?? null, beforeSeq ?? null, limit + 1],
    );
    const hasMore = rows.length > limit;
    const page = rows.slice(0, limit);
    if (newestFirst) page.reverse();
    return { items: page.map((m) => MessageDto.from(m)), hasMore };
  }

  /** Resolves where a message goes and checks the sender may post there. */
  private async resolveTarget(userId: string, dto: SendMessageDto): Promise<ConversationRef> {
    if (Boolean(dto.to) === Boolean(dto.conversationId)) {
      throw AppError.validation('Give exactly one of to and conversationId', {
        fields: [{ field: 'to', problems: ['exactly one of to and conversationId is required'] }],
      });
    }
    if (dto.conversationId) {
      const conversation = await this.conversations.ref(dto.conversationId.toLowerCase());
      if (!conversation) throw AppError.notFound('Conversation');
      if (conversation.type === 'direct') {
        await this.conversations.requireMember(conversation.id, userId);
        await this.checkDirect(userId, peerOf(conversation.pairKey!, userId));
        return conversation;
      }
      if (conversation.type === 'app') {
        await this.conversations.requireMember(conversation.id, userId);
        throw AppError.forbidden('Application channels are read-only');
      }
      const policy = this.policies.get(conversation.type);
      if (policy) await policy.canPost(userId, conversation);
      else await this.conversations.requireMember(conversation.id, userId);
      return conversation;
    }
    const to = dto.to!;
    const id = to.id.toLowerCase();
    if (to.type === 'user') {
      if (id === userId)
        throw AppError.validation('You cannot message yourself', {
          fields: [{ field: 'to.id', problems: ['is the sender'] }],
        });
      await this.checkDirect(userId, id);
      return (await this.conversations.direct(userId, id, true))!;
    }
    const policy = this.policies.get(to.type);
    if (!policy) throw AppError.notFound(to.type === 'group' ? 'Group' : 'Org unit');
    return policy.resolve(userId, id);
  }

  /** DM_POLICY and blocks, checked on every direct send. */
  private async checkDirect(userId: string, peerId: string): Promise<void> {
    const relation = await this.friends.relation(userId, peerId);
    if (!relation.exists) throw AppError.notFound('User');
    if (relation.blocked) throw AppError.forbidden('You cannot message this user');
    if (this.config.dmPolicy === 'friends' && !relation.friends) {
      throw AppError.forbidden('You can only message your friends');
    }
  }

  private checkBody(body: string, hasAttachments: boolean): string {
    const max = this.config.limits.messageLength;
    if ([...body].length > max) {
      throw AppError.validation(`body must be at most ${max} characters`, {
        fields: [{ field: 'body', problems: [`at most ${max} characters`] }],
      });
    }
    if (body.trim().length === 0 && !hasAttachments) {
      throw AppError.validation('body must not be empty', {
        fields: [{ field: 'body', problems: ['must not be empty'] }],
      });
    }
    return body;
  }

  private async byClientMsgId(senderId: string, clientMsgId: string): Promise<Message | null> {
    const [row] = await queryRows<Message>(
      this.dataSource,
      `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE sender_id = $1 AND client_msg_id = $2`,
      [senderId, clientMsgId],
    );
    return row ?? null;
  }

  private async ownAttachments(userId: string, ids: string[]): Promise<StoredAttachment[]> {
    if (ids.length === 0) return [];
    const unique = [...new Set(ids.map((id) => id.toLowerCase()))];
    const found = await this.dataSource
      .getRepository(Attachment)
      .find({ where: { id: In(unique), uploaderId: userId } });
    if (found.length !== unique.length) {
      throw AppError.validation('attachments must be files you uploaded', {
        fields: [{ field: 'attachments', problems: ['unknown attachment id'] }],
      });
    }
    const byId = new Map(found.map((a) => [a.id, a]));
    return unique.map((id) => {
      const a = byId.get(id)!;
      return { id: a.id, mime: a.mime, size: a.size, name: a.name };
    });
  }

  /**
   * A message the caller may change: their own, or (to delete) one in a group they administer.
   * NOT_FOUND if they cannot see it, FORBIDDEN if they may not change it.
   */
  private async ownMessage(
    userId: string,
    messageId: string,
    purpose: 'edit' | 'delete' = 'edit',
  ): Promise<Message> {
    const [message] = await queryRows<Message>(
      this.dataSource,
      `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE id = $1`,
      [messageId],
    );
    if (!message || !(await this.conversations.isMember(message.conversationId, userId))) {
      throw AppError.notFound('Message');
    }
    if (message.senderId === userId) return message;
    if (purpose === 'delete') {
      const [ref, role] = await Promise.all([
        this.conversations.ref(message.conversationId),
        this.conversations.roleOf(message.conversationId, userId),
      ]);
      if (ref?.type === 'group' && (role === 'owner' || role === 'admin')) return message;
    }
    throw AppError.forbidden('Only the sender can change a message');
  }

  private async changed(kind: 'updated' | 'deleted', row: Message): Promise<MessageDto> {
    const view = MessageDto.from(row);
    const memberIds = await this.conversations.memberIds(row.conversationId);
    this.events.emit(MessageChangedEvent.event, new MessageChangedEvent(kind, view, memberIds));
    return view;
  }

  private consumeRate(userId: string): Promise<void> {
    const { messagesPerSec, messagesBurst } = this.config.rateLimits;
    return this.limits.consume(
      { name: 'messages', points: messagesPerSec, windowSeconds: 1, burst: messagesBurst },
      userId,
    );
  }
}
