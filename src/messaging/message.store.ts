import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { queryRows } from '../database/sql.js';
import type { Message, StoredAttachment } from './message.entity.js';

/** A message to store: its conversation and content; the store assigns id, seq and time. */
export interface MessageDraft {
  conversationId: string;
  senderId: string | null;
  appId: string | null;
  type: Message['type'];
  body: string;
  attachments: StoredAttachment[];
  clientMsgId: string | null;
}

export interface SeqRange {
  afterSeq?: number;
  beforeSeq?: number;
  limit: number;
}

const MESSAGE_COLUMNS = `id, conversation_id AS "conversationId", seq::float8 AS seq, sender_id AS "senderId",
  app_id AS "appId", type, body, attachments, client_msg_id AS "clientMsgId", created_at AS "createdAt",
  edited_at AS "editedAt", deleted_at AS "deletedAt"`;

/**
 * Every statement on messages (and the attachment links they hold). Appending takes each
 * conversation's next seqs in the statement that stores the messages: the UPDATE of the
 * conversation row takes the lock that orders concurrent senders, and a failed INSERT rolls the
 * seqs back with it, so seqs stay gapless.
 */
@Injectable()
export class MessageStore {
  constructor(private readonly db: DataSource) {}

  /**
   * Stores messages, any number per conversation, in the order given; returns them in that order.
   * Drafts for one conversation are one statement. Drafts for several conversations lock those
   * rows in one global order first (in a transaction), so overlapping appends cannot deadlock.
   * A conversation that does not exist stores nothing and returns nothing for its drafts.
   */
  async append(drafts: MessageDraft[]): Promise<Message[]> {
    if (drafts.length === 0) return [];
    const conversationIds = [...new Set(drafts.map((d) => d.conversationId))].sort();
    const params = [
      drafts.map((d) => d.conversationId),
      drafts.map((d) => d.senderId),
      drafts.map((d) => d.appId),
      drafts.map((d) => d.type),
      drafts.map((d) => d.body),
      drafts.map((d) => JSON.stringify(d.attachments)),
      drafts.map((d) => d.clientMsgId),
    ];
    const rows =
      conversationIds.length === 1
        ? await queryRows<Message>(this.db, APPEND, params)
        : await this.db.transaction(async (tx) => {
            await tx.query('SELECT id FROM conversations WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE', [
              conversationIds,
            ]);
            return queryRows<Message>(tx, APPEND, params);
          });
    // Within a conversation, seq follows the order of the drafts.
    const stored = new Map<string, Message[]>();
    for (const row of rows.sort((a, b) => b.seq - a.seq)) {
      const list = stored.get(row.conversationId) ?? [];
      list.push(row);
      stored.set(row.conversationId, list);
    }
    return drafts.flatMap((d) => stored.get(d.conversationId)?.pop() ?? []);
  }

  async byId(messageId: string): Promise<Message | null> {
    const [row] = await queryRows<Message>(this.db, `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE id = $1`, [
      messageId,
    ]);
    return row ?? null;
  }

  async byClientMsgId(senderId: string, clientMsgId: string): Promise<Message | null> {
    const [row] = await queryRows<Message>(
      this.db,
      `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE sender_id = $1 AND client_msg_id = $2`,
      [senderId, clientMsgId],
    );
    return row ?? null;
  }

  async editBody(messageId: string, body: string): Promise<Message> {
    const [row] = await queryRows<Message>(
      this.db,
      `UPDATE messages SET body = $2, edited_at = now() WHERE id = $1 RETURNING ${MESSAGE_COLUMNS}`,
      [messageId, body],
    );
    return row!;
  }

  /** Soft delete: the seq stays, the content and the attachment links go, in one statement. */
  async softDelete(messageId: string): Promise<Message> {
    const [row] = await queryRows<Message>(
      this.db,
      `WITH unlinked AS (DELETE FROM message_attachments WHERE message_id = $1)
       UPDATE messages SET body = '', attachments = '[]'::jsonb, deleted_at = now() WHERE id = $1
       RETURNING ${MESSAGE_COLUMNS}`,
      [messageId],
    );
    return row!;
  }

  /**
   * Up to `limit` messages of a conversation by seq: ascending after `afterSeq`, otherwise the
   * newest below `beforeSeq` (descending; the caller reverses).
   */
  range(conversationId: string, { afterSeq, beforeSeq, limit }: SeqRange): Promise<Message[]> {
    return queryRows<Message>(
      this.db,
      `SELECT ${MESSAGE_COLUMNS} FROM messages
        WHERE conversation_id = $1 AND ($2::bigint IS NULL OR seq > $2) AND ($3::bigint IS NULL OR seq < $3)
        ORDER BY seq ${afterSeq === undefined ? 'DESC' : 'ASC'} LIMIT $4`,
      [conversationId, afterSeq ?? null, beforeSeq ?? null, limit],
    );
  }

  /** For each conversation, up to `limit` messages after its seq, ascending; one query for all. */
  async after(cursors: { conversationId: string; afterSeq: number }[], limit: number): Promise<Message[]> {
    if (cursors.length === 0) return [];
    return queryRows<Message>(
      this.db,
      `SELECT ${MESSAGE_COLUMNS}
         FROM unnest($1::uuid[], $2::bigint[]) AS c(conv_id, after_seq)
         CROSS JOIN LATERAL (
           SELECT * FROM messages WHERE conversation_id = c.conv_id AND seq > c.after_seq ORDER BY seq LIMIT $3
         ) m`,
      [cursors.map((c) => c.conversationId), cursors.map((c) => c.afterSeq), limit],
    );
  }

  /** Messages stored since a moment (for statistics). */
  async countSince(since: Date): Promise<number> {
    const [row] = await queryRows<{ n: number }>(
      this.db,
      'SELECT count(*)::int AS n FROM messages WHERE created_at >= $1',
      [since],
    );
    return row?.n ?? 0;
  }
}

const APPEND = `
  WITH input AS (
    SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[])
      WITH ORDINALITY AS i(conversation_id, sender_id, app_id, type, body, attachments, client_msg_id, ord)
  ), counts AS (
    SELECT conversation_id, count(*)::bigint AS n FROM input GROUP BY conversation_id
  ), next AS (
    UPDATE conversations c SET last_seq = c.last_seq + counts.n, last_activity_at = now()
      FROM counts WHERE c.id = counts.conversation_id
    RETURNING c.id, c.last_seq - counts.n AS base
  ), stored AS (
    INSERT INTO messages (conversation_id, seq, sender_id, app_id, type, body, attachments, client_msg_id)
    SELECT i.conversation_id, next.base + row_number() OVER (PARTITION BY i.conversation_id ORDER BY i.ord),
           i.sender_id, i.app_id, i.type, i.body, i.attachments::jsonb, i.client_msg_id
      FROM input i JOIN next ON next.id = i.conversation_id
    RETURNING *
  ), linked AS (
    INSERT INTO message_attachments (attachment_id, message_id, conversation_id)
    SELECT (a->>'id')::uuid, stored.id, stored.conversation_id
      FROM stored, jsonb_array_elements(stored.attachments) a
  )
  SELECT ${MESSAGE_COLUMNS} FROM stored`;

/** A messages row as produced by to_json() (snake_case keys, ISO timestamps) back to an entity. */
export function messageFromJson(j: Record<string, unknown>): Message {
  const date = (v: unknown): Date | null => (v ? new Date(v as string) : null);
  return {
    id: j.id as string,
    conversationId: j.conversation_id as string,
    seq: Number(j.seq),
    senderId: (j.sender_id as string | null) ?? null,
    appId: (j.app_id as string | null) ?? null,
    type: j.type as Message['type'],
    body: j.body as string,
    attachments: (j.attachments as Message['attachments']) ?? [],
    clientMsgId: (j.client_msg_id as string | null) ?? null,
    createdAt: date(j.created_at)!,
    editedAt: date(j.edited_at),
    deletedAt: date(j.deleted_at),
  };
}
