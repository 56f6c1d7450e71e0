import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { decodeCursor } from '../common/pagination/cursor.js';
import { queryRows } from '../database/sql.js';
import type { MemberRole } from './conversation-member.entity.js';
import type { SyncSnapshot } from './sync-token.js';

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

/**
 * The SQL of conversation members: who is in which conversation with which role (the member count
 * on the conversation kept in step), departures recorded for sync, watermarks and mutes. Methods
 * that take `tx` run inside the caller's transaction; the others run on the pool.
 */
@Injectable()
export class MembershipRepository {
  constructor(private readonly db: DataSource) {}

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

  /** Removes every member of a conversation about to be deleted (departures recorded); returns who they were. */
  async removeAll(tx: EntityManager, conversationId: string): Promise<string[]> {
    const members = await queryRows<{ user_id: string }>(
      tx,
      'DELETE FROM conversation_members WHERE conversation_id = $1 RETURNING user_id',
      [conversationId],
    );
    const userIds = members.map((m) => m.user_id);
    await this.recordDepartures(tx, conversationId, userIds);
    return userIds;
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
