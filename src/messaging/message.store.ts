import { Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { type Db, queryRows } from '../database/sql.js';
import type { Message, StoredAttachment } from './message.entity.js';
import type { SyncSnapshot } from './sync-token.js';

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

/** The writing transaction's id, recorded on edits and deletions for sync (see sync-token.ts). */
const CHANGE_XID = 'pg_current_xact_id()::text::bigint';

/** What happened to one draft of an append. */
export type AppendOutcome =
  | { kind: 'stored'; message: Message }
  /** A message with the same (sender, clientMsgId) was stored before: that one is the answer. */
  | { kind: 'duplicate'; message: Message }
  /** The conversation does not exist (any more). */
  | { kind: 'missing' };

/**
 * Every statement on messages (and the attachment links they hold). Appending is one statement
 * for any number of drafts in any number of conversations: it answers retries (same sender and
 * clientMsgId) with the stored message, locks the conversations it writes in id order (so that
 * overlapping appends cannot deadlock), takes each conversation's next seqs, inserts, and moves
 * each sender's read watermark to their message. A failed INSERT rolls the seqs back with it, so
 * seqs stay gapless.
 */
@Injectable()
export class MessageStore {
  constructor(private readonly db: DataSource) {}

  /**
   * Stores messages, any number per conversation, in the order given (seq follows it within a
   * conversation). Returns one outcome per draft, in the order of the drafts.
   *
   * A retry whose original committed before this statement began is answered from the table; one
   * that commits concurrently makes this statement fail with a unique violation, and the caller
   * runs it again (the retry is then found).
   */
  async append(drafts: MessageDraft[]): Promise<AppendOutcome[]> {
    if (drafts.length === 0) return [];
    // The hottest statement goes straight to the pool under TypeORM, and answers with only what
    // the drafts do not already hold. (Not a named prepared statement: PostgreSQL's generic plan
    // for it, blind to the arrays' sizes, measured slower than planning each batch.)
    const { rows } = await this.pool.query<AppendRow>({
      text: APPEND,
      values: [
        drafts.map((d) => d.conversationId),
        drafts.map((d) => d.senderId),
        drafts.map((d) => d.appId),
        drafts.map((d) => d.type),
        drafts.map((d) => d.body),
        drafts.map((d) => JSON.stringify(d.attachments)),
        drafts.map((d) => d.clientMsgId),
      ],
    });
    const outcomes: AppendOutcome[] = drafts.map(() => ({ kind: 'missing' }));
    for (const row of rows) {
      const draft = drafts[row.ord - 1]!;
      outcomes[row.ord - 1] = row.earlier
        ? { kind: 'duplicate', message: messageFromJson(row.earlier) }
        : {
            kind: 'stored',
            message: {
              ...draft,
              id: row.id,
              seq: Number(row.seq),
              createdAt: row.created_at,
              editedAt: null,
              deletedAt: null,
            },
          };
    }
    return outcomes;
  }

  private get pool(): Pool {
    return (this.db.driver as unknown as { master: Pool }).master;
  }

  async byId(messageId: string): Promise<Message | null> {
    const [row] = await queryRows<Message>(this.db, `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE id = $1`, [
      messageId,
    ]);
    return row ?? null;
  }

  /** The messages at these (conversation, seq) positions (absent ones are left out). */
  atSeqs(positions: { conversationId: string; seq: number }[]): Promise<Message[]> {
    if (positions.length === 0) return Promise.resolve([]);
    return queryRows<Message>(
      this.db,
      `SELECT ${MESSAGE_COLUMNS} FROM messages
        WHERE (conversation_id, seq) IN (SELECT * FROM unnest($1::uuid[], $2::bigint[]))`,
      [positions.map((p) => p.conversationId), positions.map((p) => p.seq)],
    );
  }

  async byClientMsgId(senderId: string, clientMsgId: string): Promise<Message | null> {
    const [row] = await queryRows<Message>(
      this.db,
      `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE sender_id = $1 AND client_msg_id = $2`,
      [senderId, clientMsgId],
    );
    return row ?? null;
  }

  /** Replaces a message's body (on the pool, or in the caller's transaction). */
  async editBody(messageId: string, body: string, db: Db = this.db): Promise<Message> {
    const [row] = await queryRows<Message>(
      db,
      `UPDATE messages SET body = $2, edited_at = now(), changed_xid = ${CHANGE_XID} WHERE id = $1
       RETURNING ${MESSAGE_COLUMNS}`,
      [messageId, body],
    );
    return row!;
  }

  /** Soft delete: the seq stays, the content and the attachment links go, in one statement. */
  async softDelete(messageId: string): Promise<Message> {
    const [row] = await queryRows<Message>(
      this.db,
      `WITH unlinked AS (DELETE FROM message_attachments WHERE message_id = $1)
       UPDATE messages SET body = '', attachments = '[]'::jsonb, deleted_at = now(), changed_xid = ${CHANGE_XID}
        WHERE id = $1
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

  /**
   * Of each conversation, its latest messages (at most `perConversation`) stored at `since` or
   * later, by conversation and seq: what a node that could not hear the bus may have missed.
   */
  latestSince(conversationIds: string[], since: Date, perConversation: number): Promise<Message[]> {
    if (conversationIds.length === 0) return Promise.resolve([]);
    return queryRows<Message>(
      this.db,
      `SELECT m.* FROM unnest($1::uuid[]) AS c(id)
         CROSS JOIN LATERAL (
           SELECT ${MESSAGE_COLUMNS} FROM messages
            WHERE conversation_id = c.id ORDER BY seq DESC LIMIT $3
         ) m
        WHERE m."createdAt" >= $2
        ORDER BY m."conversationId", m.seq`,
      [conversationIds, since, perConversation],
    );
  }

  /**
   * The message reads of a sync, in one statement: for each conversation of `after`, up to
   * `limit` messages after its seq (ascending); with `since`, for each of `held`, the messages at
   * or below its seq that were edited or deleted in transactions the snapshot does not see (one
   * index range scan per conversation, from the snapshot's xmin on).
   */
  async syncRead(
    after: { conversationId: string; afterSeq: number }[],
    limit: number,
    held: { conversationId: string; uptoSeq: number }[],
    since: SyncSnapshot | null,
  ): Promise<{ fresh: Message[]; changed: Message[] }> {
    const changes = since !== null && held.length > 0 ? held : [];
    if (after.length === 0 && changes.length === 0) return { fresh: [], changed: [] };
    const rows = await queryRows<Message & { changed: boolean }>(
      this.db,
      `SELECT false AS changed, ${MESSAGE_COLUMNS}
         FROM unnest($1::uuid[], $2::bigint[]) AS c(conv_id, after_seq)
         CROSS JOIN LATERAL (
           SELECT * FROM messages WHERE conversation_id = c.conv_id AND seq > c.after_seq ORDER BY seq LIMIT $3
         ) m
       UNION ALL
       SELECT true AS changed, ${MESSAGE_COLUMNS}
         FROM unnest($4::uuid[], $5::bigint[]) AS c(conv_id, upto_seq)
         CROSS JOIN LATERAL (
           SELECT * FROM messages
            WHERE conversation_id = c.conv_id AND changed_xid >= $6::bigint AND seq <= c.upto_seq
              AND NOT pg_visible_in_snapshot(changed_xid::text::xid8, $7::pg_snapshot)
         ) m`,
      [
        after.map((c) => c.conversationId),
        after.map((c) => c.afterSeq),
        limit,
        changes.map((p) => p.conversationId),
        changes.map((p) => p.uptoSeq),
        since?.xmin ?? null,
        since?.text ?? null,
      ],
    );
    const fresh: Message[] = [];
    const changed: Message[] = [];
    for (const { changed: isChange, ...message } of rows) (isChange ? changed : fresh).push(message);
    changed.sort((a, b) => a.conversationId.localeCompare(b.conversationId) || a.seq - b.seq);
    return { fresh, changed };
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
  ), earlier AS (
    SELECT i.ord, m.* FROM input i
      CROSS JOIN LATERAL (
        SELECT * FROM messages WHERE sender_id = i.sender_id AND client_msg_id = i.client_msg_id
      ) m
     WHERE i.client_msg_id IS NOT NULL
  ), fresh AS (
    SELECT * FROM input i WHERE NOT EXISTS (SELECT 1 FROM earlier e WHERE e.ord = i.ord)
  ), counts AS (
    SELECT conversation_id, count(*)::bigint AS n FROM fresh GROUP BY conversation_id
  ), locked AS (
    SELECT id FROM conversations WHERE id IN (SELECT conversation_id FROM counts) ORDER BY id FOR UPDATE
  ), next AS (
    UPDATE conversations c SET last_seq = c.last_seq + counts.n, last_activity_at = now()
      FROM counts, locked WHERE c.id = counts.conversation_id AND locked.id = c.id
    RETURNING c.id, c.last_seq - counts.n AS base
  ), numbered AS (
    SELECT f.*, next.base + row_number() OVER (PARTITION BY f.conversation_id ORDER BY f.ord) AS seq
      FROM fresh f JOIN next ON next.id = f.conversation_id
  ), stored AS (
    INSERT INTO messages (conversation_id, seq, sender_id, app_id, type, body, attachments, client_msg_id)
    SELECT conversation_id, seq, sender_id, app_id, type, body, attachments::jsonb, client_msg_id FROM numbered
    RETURNING *
  ), seen AS (
    -- A sender has read their own conversation up to what they sent (so it is never unread to them).
    UPDATE conversation_members m
       SET read_seq = GREATEST(m.read_seq, s.seq), delivered_seq = GREATEST(m.delivered_seq, s.seq)
      FROM (SELECT conversation_id, sender_id, max(seq) AS seq FROM numbered
             WHERE sender_id IS NOT NULL GROUP BY conversation_id, sender_id) s
     WHERE m.conversation_id = s.conversation_id AND m.user_id = s.sender_id
  ), linked AS (
    INSERT INTO message_attachments (attachment_id, message_id, conversation_id)
    SELECT (a->>'id')::uuid, stored.id, stored.conversation_id
      FROM stored, jsonb_array_elements(stored.attachments) a
  )
  SELECT n.n_ord::int AS ord, stored.id, stored.seq, stored.created_at, NULL::json AS earlier
    FROM stored JOIN (SELECT conversation_id AS n_conversation_id, seq AS n_seq, ord AS n_ord FROM numbered) n
      ON n.n_conversation_id = stored.conversation_id AND n.n_seq = stored.seq
  UNION ALL
  SELECT e.ord::int, e.id, e.seq, e.created_at, to_json(e.*) FROM earlier e`;

/** One row of the append's answer: a stored draft (`earlier` null) or the message a retry matched. */
interface AppendRow {
  ord: number;
  id: string;
  seq: string;
  created_at: Date;
  earlier: Record<string, unknown> | null;
}

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
