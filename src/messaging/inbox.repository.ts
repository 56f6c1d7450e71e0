import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { decodeCursor } from '../common/pagination/cursor.js';
import { queryRows } from '../database/sql.js';
import { type ConversationRef, type RefRow, toRef } from './conversations.repository.js';

/** A row of a member's inbox: the conversation, the member's watermark and the last message as JSON. */
export interface InboxRow {
  ref: ConversationRef;
  title: string | null;
  lastSeq: number;
  readSeq: number;
  lastActivityAt: Date;
  lastMessage: Record<string, unknown> | null;
}

export interface UnreadQuery {
  userId: string;
  conversationId: string;
  afterSeq: number;
}

/** Unread messages of one member, by sender (see {@link InboxRepository.unreadSummaries}). */
export interface UnreadSummary {
  userId: string;
  ref: ConversationRef;
  title: string | null;
  readSeq: number;
  /** Muted for notifications right now. */
  muted: boolean;
  senders: { senderId: string | null; appId: string | null; count: number; lastSeq: number }[];
}

interface UnreadRow extends RefRow {
  user_id: string;
  title: string | null;
  read_seq: string;
  muted: boolean;
  senders: { senderId: string | null; appId: string | null; count: number; lastSeq: string | number }[];
}

type InboxRecord = RefRow & {
  title: string | null;
  last_seq: string;
  last_activity_at: Date;
  read_seq: string;
  last_message: Record<string, unknown> | null;
};

const INBOX_SELECT = `
  SELECT m.user_id, c.id, c.type, c.title, c.pair_key, c.group_id, c.org_unit_id, c.app_id, c.last_seq,
         c.last_activity_at, m.read_seq, to_json(lm.*) AS last_message
    FROM conversation_members m
    JOIN conversations c ON c.id = m.conversation_id
    LEFT JOIN messages lm ON lm.conversation_id = c.id AND lm.seq = c.last_seq`;

const toInboxRow = (r: InboxRecord): InboxRow => ({
  ref: toRef(r),
  title: r.title,
  lastSeq: Number(r.last_seq),
  readSeq: Number(r.read_seq),
  lastActivityAt: new Date(r.last_activity_at),
  lastMessage: r.last_message,
});

/**
 * The SQL of the inbox read model: a member's conversations with their last message and watermark,
 * and what members have not read yet (for notifications).
 */
@Injectable()
export class InboxRepository {
  constructor(private readonly db: DataSource) {}

  /** A page of the user's inbox, most recently active first, after the cursor `[lastActivityAt, id]`. */
  async inbox(userId: string, limit: number, cursor?: string): Promise<InboxRow[]> {
    const params: unknown[] = [userId, limit];
    let after = '';
    if (cursor) {
      const [at, id] = decodeCursor(cursor, ['timestamp', 'uuid'] as const);
      params.push(at, id);
      after = 'AND (c.last_activity_at, c.id) < ($3::timestamptz, $4::uuid)';
    }
    const rows = await queryRows<InboxRecord>(
      this.db,
      `${INBOX_SELECT} WHERE m.user_id = $1 ${after} ORDER BY c.last_activity_at DESC, c.id DESC LIMIT $2`,
      params,
    );
    return rows.map(toInboxRow);
  }

  /** Conversations as these members see them in their inboxes (pairs whose user is not a member are left out). */
  async inboxRowsOf(
    pairs: { conversationId: string; userId: string }[],
  ): Promise<(InboxRow & { userId: string })[]> {
    if (pairs.length === 0) return [];
    const rows = await queryRows<InboxRecord & { user_id: string }>(
      this.db,
      `${INBOX_SELECT}
         JOIN unnest($1::uuid[], $2::uuid[]) AS p(conversation_id, user_id)
           ON p.conversation_id = m.conversation_id AND p.user_id = m.user_id`,
      [pairs.map((p) => p.conversationId), pairs.map((p) => p.userId)],
    );
    return rows.map((r) => ({ ...toInboxRow(r), userId: r.user_id }));
  }

  /**
   * What members have not read of conversations after a seq (and after their read watermark),
   * grouped by sender, for many (user, conversation) pairs in one statement: each pair is a range
   * scan of the (conversation_id, seq) index. Pairs whose user is not a member are left out.
   */
  async unreadSummaries(pairs: UnreadQuery[]): Promise<UnreadSummary[]> {
    if (pairs.length === 0) return [];
    const rows = await queryRows<UnreadRow>(
      this.db,
      `SELECT p.user_id, c.id, c.type, c.title, c.pair_key, c.group_id, c.org_unit_id, c.app_id, m.read_seq,
              m.muted AND (m.muted_until IS NULL OR m.muted_until > now()) AS muted,
              (SELECT COALESCE(json_agg(s ORDER BY s."lastSeq"), '[]'::json) FROM (
                 SELECT sender_id AS "senderId", app_id AS "appId", count(*)::int AS count, max(seq) AS "lastSeq"
                   FROM messages
                  WHERE conversation_id = p.conversation_id AND seq > GREATEST(m.read_seq, p.after_seq)
                    AND deleted_at IS NULL AND sender_id IS DISTINCT FROM p.user_id
                  GROUP BY sender_id, app_id
              ) s) AS senders
         FROM unnest($1::uuid[], $2::uuid[], $3::bigint[]) AS p(user_id, conversation_id, after_seq)
         JOIN conversation_members m ON m.conversation_id = p.conversation_id AND m.user_id = p.user_id
         JOIN conversations c ON c.id = p.conversation_id`,
      [pairs.map((p) => p.userId), pairs.map((p) => p.conversationId), pairs.map((p) => p.afterSeq)],
    );
    return rows.map((row) => ({
      userId: row.user_id,
      ref: toRef(row),
      title: row.title,
      readSeq: Number(row.read_seq),
      muted: row.muted,
      senders: row.senders.map((s) => ({ ...s, lastSeq: Number(s.lastSeq) })),
    }));
  }
}
