import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { decodeCursor } from '../common/pagination/cursor.js';
import { queryRows } from '../database/sql.js';
import type { ConversationType } from './conversation.entity.js';
import type { MemberRole } from './conversation-member.entity.js';
import type { SyncSnapshot } from './sync-token.js';

/** What access checks need to know of a conversation; immutable once created. */
export interface ConversationRef {
  id: string;
  type: ConversationType;
  pairKey: string | null;
  groupId: string | null;
  orgUnitId: string | null;
  appId: string | null;
}

export interface NewConversation {
  type: Exclude<ConversationType, 'direct'>;
  title?: string | null;
  groupId?: string;
  orgUnitId?: string;
  appId?: string;
  pairKey?: string;
}

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

/** Unread messages of one member, by sender (see {@link ConversationsRepository.unreadSummaries}). */
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

export interface SyncState {
  /** pg_current_snapshot() of the statement, as text. */
  snapshot: string;
  conversations: { id: string; lastSeq: number }[];
  /** Conversations left since the `since` snapshot (empty without one). */
  departed: string[];
}

export interface MemberRow {
  userId: string;
  role: MemberRole;
  joinedAt: Date;
}

const REF_COLUMNS = 'id, type, pair_key, group_id, org_unit_id, app_id';

interface RefRow {
  id: string;
  type: ConversationType;
  pair_key: string | null;
  group_id: string | null;
  org_unit_id: string | null;
  app_id: string | null;
}

const toInboxRow = (r: InboxRecord): InboxRow => ({
  ref: toRef(r),
  title: r.title,
  lastSeq: Number(r.last_seq),
  readSeq: Number(r.read_seq),
  lastActivityAt: new Date(r.last_activity_at),
  lastMessage: r.last_message,
});

const toRef = (row: RefRow): ConversationRef => ({
  id: row.id,
  type: row.type,
  pairKey: row.pair_key,
  groupId: row.group_id,
  orgUnitId: row.org_unit_id,
  appId: row.app_id,
});

/**
 * The SQL of conversations and their members. Methods that take `tx` run inside the caller's
 * transaction; the others run on the pool.
 */
@Injectable()
export class ConversationsRepository {
  constructor(private readonly db: DataSource) {}

  async findRef(conversationId: string): Promise<ConversationRef | null> {
    const [row] = await queryRows<RefRow>(this.db, `SELECT ${REF_COLUMNS} FROM conversations WHERE id = $1`, [
      conversationId,
    ]);
    return row ? toRef(row) : null;
  }

  async findByPairKey(pairKey: string): Promise<ConversationRef | null> {
    const [row] = await queryRows<RefRow>(
      this.db,
      `SELECT ${REF_COLUMNS} FROM conversations WHERE pair_key = $1`,
      [pairKey],
    );
    return row ? toRef(row) : null;
  }

  /** Inserts a direct conversation; null when one with this pair key exists already. */
  async insertDirect(tx: EntityManager, pairKey: string): Promise<ConversationRef | null> {
    const [row] = await queryRows<RefRow>(
      tx,
      `INSERT INTO conversations (type, pair_key) VALUES ('direct', $1)
       ON CONFLICT (pair_key) DO NOTHING RETURNING ${REF_COLUMNS}`,
      [pairKey],
    );
    return row ? toRef(row) : null;
  }

  async insert(tx: EntityManager, fields: NewConversation): Promise<ConversationRef> {
    const [row] = await queryRows<RefRow>(
      tx,
      `INSERT INTO conversations (type, title, group_id, org_unit_id, app_id, pair_key)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${REF_COLUMNS}`,
      [
        fields.type,
        fields.title ?? null,
        fields.groupId ?? null,
        fields.orgUnitId ?? null,
        fields.appId ?? null,
        fields.pairKey ?? null,
      ],
    );
    if (!row) throw new Error('conversation insert returned nothing');
    return toRef(row);
  }

  /**
   * Conversations of one type keyed by `pairKey`, each with one member, created where missing.
   * Returns the conversation id of every key and the keys that got a new conversation.
   */
  async ensureKeyed(
    tx: EntityManager,
    fields: { type: Exclude<ConversationType, 'direct'>; title: string; appId?: string },
    members: { pairKey: string; userId: string }[],
  ): Promise<{ byKey: Map<string, string>; created: Set<string> }> {
    const keys = members.map((m) => m.pairKey);
    const inserted = await queryRows<{ id: string; pair_key: string }>(
      tx,
      `INSERT INTO conversations (type, title, app_id, pair_key, member_count)
       SELECT $1, $2, $3, k, 1 FROM unnest($4::text[]) AS k
       ON CONFLICT (pair_key) DO NOTHING RETURNING id, pair_key`,
      [fields.type, fields.title, fields.appId ?? null, keys],
    );
    if (inserted.length > 0) {
      const userOf = new Map(members.map((m) => [m.pairKey, m.userId]));
      await tx.query(
        'INSERT INTO conversation_members (conversation_id, user_id) SELECT unnest($1::uuid[]), unnest($2::uuid[])',
        [inserted.map((r) => r.id), inserted.map((r) => userOf.get(r.pair_key))],
      );
    }
    const all = await queryRows<{ id: string; pair_key: string }>(
      tx,
      'SELECT id, pair_key FROM conversations WHERE pair_key = ANY($1::text[])',
      [keys],
    );
    return {
      byKey: new Map(all.map((r) => [r.pair_key, r.id])),
      created: new Set(inserted.map((r) => r.pair_key)),
    };
  }

  /** Deletes a conversation (its messages go with it); returns who were its members. */
  async delete(tx: EntityManager, conversationId: string): Promise<string[]> {
    const members = await queryRows<{ user_id: string }>(
      tx,
      'DELETE FROM conversation_members WHERE conversation_id = $1 RETURNING user_id',
      [conversationId],
    );
    await tx.query('DELETE FROM conversations WHERE id = $1', [conversationId]);
    const userIds = members.map((m) => m.user_id);
    await this.recordDepartures(tx, conversationId, userIds);
    return userIds;
  }

  /** Adds members (keeping the member count); returns who was not a member yet. */
  async insertMembers(
    tx: EntityManager,
    conversationId: string,
    userIds: string[],
    role: MemberRole = 'member',
  ): Promise<string[]> {
    if (userIds.length === 0) return [];
    const rows = await queryRows<{ user_id: string }>(
      tx,
      `INSERT INTO conversation_members (conversation_id, user_id, role)
       SELECT $1, unnest($2::uuid[]), $3 ON CONFLICT DO NOTHING RETURNING user_id`,
      [conversationId, [...new Set(userIds)], role],
    );
    if (rows.length > 0) {
      await this.addToMemberCount(tx, conversationId, rows.length);
      // Back again: an earlier departure is no longer news for sync.
      await tx.query(
        'DELETE FROM conversation_departures WHERE conversation_id = $1 AND user_id = ANY($2::uuid[])',
        [conversationId, rows.map((r) => r.user_id)],
      );
    }
    return rows.map((r) => r.user_id);
  }

  /** Removes members (keeping the member count); returns who was a member. */
  async deleteMembers(tx: EntityManager, conversationId: string, userIds: string[]): Promise<string[]> {
    if (userIds.length === 0) return [];
    const rows = await queryRows<{ user_id: string }>(
      tx,
      'DELETE FROM conversation_members WHERE conversation_id = $1 AND user_id = ANY($2::uuid[]) RETURNING user_id',
      [conversationId, userIds],
    );
    if (rows.length > 0) {
      await this.addToMemberCount(tx, conversationId, -rows.length);
      await this.recordDepartures(
        tx,
        conversationId,
        rows.map((r) => r.user_id),
      );
    }
    return rows.map((r) => r.user_id);
  }

  async memberCount(tx: EntityManager, conversationId: string): Promise<number> {
    const [row] = await queryRows<{ member_count: number }>(
      tx,
      'SELECT member_count FROM conversations WHERE id = $1',
      [conversationId],
    );
    return row?.member_count ?? 0;
  }

  async memberCounts(conversationIds: string[]): Promise<Map<string, number>> {
    if (conversationIds.length === 0) return new Map();
    const rows = await queryRows<{ id: string; member_count: number }>(
      this.db,
      'SELECT id, member_count FROM conversations WHERE id = ANY($1::uuid[])',
      [conversationIds],
    );
    return new Map(rows.map((r) => [r.id, r.member_count]));
  }

  async setRole(
    tx: EntityManager,
    conversationId: string,
    userId: string,
    role: MemberRole,
  ): Promise<boolean> {
    const rows = await queryRows<{ user_id: string }>(
      tx,
      'UPDATE conversation_members SET role = $3 WHERE conversation_id = $1 AND user_id = $2 RETURNING user_id',
      [conversationId, userId, role],
    );
    return rows.length > 0;
  }

  async memberIds(conversationId: string): Promise<string[]> {
    const rows = await queryRows<{ user_id: string }>(
      this.db,
      'SELECT user_id FROM conversation_members WHERE conversation_id = $1',
      [conversationId],
    );
    return rows.map((r) => r.user_id);
  }

  /** Current members of several conversations, in the caller's transaction. */
  async membersOfMany(tx: EntityManager, conversationIds: string[]): Promise<Map<string, Set<string>>> {
    const out = new Map<string, Set<string>>();
    if (conversationIds.length === 0) return out;
    const rows = await queryRows<{ conversation_id: string; user_id: string }>(
      tx,
      'SELECT conversation_id, user_id FROM conversation_members WHERE conversation_id = ANY($1::uuid[])',
      [conversationIds],
    );
    for (const r of rows) {
      const set = out.get(r.conversation_id) ?? new Set<string>();
      set.add(r.user_id);
      out.set(r.conversation_id, set);
    }
    return out;
  }

  /** The user's role in each of the given conversations they are a member of. */
  async rolesOf(userId: string, conversationIds: string[]): Promise<Map<string, MemberRole>> {
    if (conversationIds.length === 0) return new Map();
    const rows = await queryRows<{ conversation_id: string; role: MemberRole }>(
      this.db,
      'SELECT conversation_id, role FROM conversation_members WHERE user_id = $1 AND conversation_id = ANY($2::uuid[])',
      [userId, conversationIds],
    );
    return new Map(rows.map((r) => [r.conversation_id, r.role]));
  }

  async conversationIdsOf(userId: string): Promise<string[]> {
    const rows = await queryRows<{ conversation_id: string }>(
      this.db,
      'SELECT conversation_id FROM conversation_members WHERE user_id = $1',
      [userId],
    );
    return rows.map((r) => r.conversation_id);
  }

  /**
   * What a sync starts from, in one statement (so all of it agrees): the snapshot it reads under
   * (see sync-token.ts), the user's conversations with their last seq (most recently active
   * first), and with `since` the conversations the user left, was removed from or saw deleted in
   * transactions that snapshot did not see.
   */
  async syncState(userId: string, since: SyncSnapshot | null): Promise<SyncState> {
    const [row] = await queryRows<SyncState>(
      this.db,
      `SELECT pg_current_snapshot()::text AS snapshot,
              COALESCE((
                SELECT json_agg(json_build_object('id', c.id, 'lastSeq', c.last_seq) ORDER BY c.last_activity_at DESC)
                  FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id
                 WHERE m.user_id = $1), '[]'::json) AS conversations,
              COALESCE((
                SELECT json_agg(d.conversation_id) FROM conversation_departures d
                 WHERE $2::bigint IS NOT NULL AND d.user_id = $1 AND d.xid >= $2::bigint
                   AND NOT pg_visible_in_snapshot(d.xid::text::xid8, $3::pg_snapshot)), '[]'::json) AS departed`,
      [userId, since?.xmin ?? null, since?.text ?? null],
    );
    return row!;
  }

  /** Members with their roles, by join time, after the cursor `[joinedAt, userId]`. */
  async listMembers(conversationId: string, limit: number, cursor?: string): Promise<MemberRow[]> {
    const params: unknown[] = [conversationId, limit];
    let after = '';
    if (cursor) {
      const [at, id] = decodeCursor(cursor, ['timestamp', 'uuid'] as const);
      params.push(at, id);
      after = 'AND (joined_at, user_id) > ($3::timestamptz, $4::uuid)';
    }
    const rows = await queryRows<{ user_id: string; role: MemberRole; joined_at: Date }>(
      this.db,
      `SELECT user_id, role, joined_at FROM conversation_members WHERE conversation_id = $1 ${after}
        ORDER BY joined_at, user_id LIMIT $2`,
      params,
    );
    return rows.map((r) => ({ userId: r.user_id, role: r.role, joinedAt: new Date(r.joined_at) }));
  }

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
   * Moves a member's watermark forward, never back and never past lastSeq; reading also delivers.
   * Returns where the moved watermark stands (0 when the user is not a member).
   */
  async moveWatermark(
    userId: string,
    conversationId: string,
    seq: number,
    kind: 'read' | 'delivered',
  ): Promise<number> {
    const delivered = 'delivered_seq = GREATEST(m.delivered_seq, LEAST($3::bigint, c.last_seq))';
    const read = 'read_seq = GREATEST(m.read_seq, LEAST($3::bigint, c.last_seq))';
    const [row] = await queryRows<{ seq: string }>(
      this.db,
      `UPDATE conversation_members m SET ${kind === 'read' ? `${read}, ${delivered}` : delivered}
         FROM conversations c
        WHERE c.id = m.conversation_id AND m.conversation_id = $1 AND m.user_id = $2
        RETURNING m.${kind}_seq AS seq`,
      [conversationId, userId, seq],
    );
    return Number(row?.seq ?? 0);
  }

  /** Mutes (until a time, or with null until unmuted) or unmutes a member's notifications; false when not a member. */
  async setMuted(
    userId: string,
    conversationId: string,
    muted: boolean,
    until: Date | null,
  ): Promise<boolean> {
    const rows = await queryRows<{ user_id: string }>(
      this.db,
      `UPDATE conversation_members SET muted = $3, muted_until = $4
        WHERE conversation_id = $1 AND user_id = $2 RETURNING user_id`,
      [conversationId, userId, muted, muted ? until : null],
    );
    return rows.length > 0;
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

  private async recordDepartures(
    tx: EntityManager,
    conversationId: string,
    userIds: string[],
  ): Promise<void> {
    if (userIds.length === 0) return;
    await tx.query(
      `INSERT INTO conversation_departures (user_id, conversation_id, xid)
       SELECT unnest($2::uuid[]), $1, pg_current_xact_id()::text::bigint
       ON CONFLICT (user_id, conversation_id) DO UPDATE SET xid = EXCLUDED.xid, left_at = now()`,
      [conversationId, userIds],
    );
  }

  private async addToMemberCount(tx: EntityManager, conversationId: string, delta: number): Promise<void> {
    await tx.query('UPDATE conversations SET member_count = member_count + $2 WHERE id = $1', [
      conversationId,
      delta,
    ]);
  }
}
