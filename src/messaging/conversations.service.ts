import { Injectable } from '@nestjs/common';
import { EventEmitter2, OnEvent } from '@nestjs/event-emitter';
import { DataSource, type EntityManager } from 'typeorm';
import { AppError } from '../common/errors/app-error.js';
import { decodeCursor, encodeCursor, type Page, toPage } from '../common/pagination/cursor.js';
import { queryRows } from '../database/sql.js';
import { UsersService } from '../users/users.service.js';
import type { ConversationType } from './conversation.entity.js';
import type { MemberRole } from './conversation-member.entity.js';
import type { ConversationDto } from './dto/conversation.dto.js';
import { MessageDto } from './dto/message.dto.js';
import type { Message } from './message.entity.js';
import { ConversationJoinedEvent, ConversationLeftEvent, ReceiptEvent } from './messaging.events.js';

/** What access checks need to know of a conversation; immutable once created. */
export interface ConversationRef {
  id: string;
  type: ConversationType;
  pairKey: string | null;
  groupId: string | null;
  orgUnitId: string | null;
  appId: string | null;
}

const MEMBER_CACHE_LIMIT = 10_000;

export const pairKeyOf = (a: string, b: string): string => (a < b ? `${a}:${b}` : `${b}:${a}`);

/**
 * Conversations, their members and watermarks. It is the one place that answers "is U a member of
 * C": from the database, with member lists cached per conversation and dropped whenever membership
 * changes.
 */
@Injectable()
export class ConversationsService {
  private readonly members = new Map<string, Set<string>>();
  private readonly refs = new Map<string, ConversationRef>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly events: EventEmitter2,
  ) {}

  /** The direct conversation of two users; created (with both members) when `create` is set. */
  async direct(a: string, b: string, create: boolean): Promise<ConversationRef | null> {
    const key = pairKeyOf(a, b);
    const [found] = await queryRows<RefRow>(
      this.dataSource,
      `SELECT ${REF_COLUMNS} FROM conversations WHERE pair_key = $1`,
      [key],
    );
    if (found) return this.remember(found);
    if (!create) return null;
    const created = await this.dataSource.transaction(async (tx) => {
      const [row] = await queryRows<RefRow>(
        tx,
        `INSERT INTO conversations (type, pair_key) VALUES ('direct', $1)
         ON CONFLICT (pair_key) DO NOTHING RETURNING ${REF_COLUMNS}`,
        [key],
      );
      if (!row) return null; // Opened concurrently by the other user.
      await this.insertMembers(tx, row.id, [a, b]);
      return row;
    });
    if (!created) return this.direct(a, b, false);
    this.announceJoined(created.id, [a, b]);
    return this.remember(created);
  }

  /**
   * Creates a non-direct conversation (group, org unit, app channel) with its first members, inside
   * the caller's transaction. Call {@link announceJoined} after it commits.
   */
  async create(
    tx: EntityManager,
    fields: {
      type: Exclude<ConversationType, 'direct'>;
      title?: string | null;
      groupId?: string;
      orgUnitId?: string;
      appId?: string;
      pairKey?: string;
    },
    members: { userId: string; role?: MemberRole }[],
  ): Promise<ConversationRef> {
    const [row] = await queryRows<RefRow>(
      tx,
      `INSERT INTO conversations (type, title, group_id, org_unit_id, app_id, pair_key) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${REF_COLUMNS}`,
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
    for (const role of ['owner', 'admin', 'member'] as const) {
      await this.insertMembers(
        tx,
        row.id,
        members.filter((m) => (m.role ?? 'member') === role).map((m) => m.userId),
        role,
      );
    }
    return this.remember(row);
  }

  /**
   * Adds members inside the caller's transaction; returns who was not a member yet. With `capacity`,
   * refuses (CONFLICT) to grow the conversation past it, atomically with other adds.
   */
  async addMembersTx(
    tx: EntityManager,
    conversationId: string,
    userIds: string[],
    options: { role?: MemberRole; capacity?: number } = {},
  ): Promise<string[]> {
    const added = await this.insertMembers(tx, conversationId, userIds, options.role ?? 'member');
    if (options.capacity !== undefined && added.length > 0) {
      const [row] = await queryRows<{ member_count: number }>(
        tx,
        'SELECT member_count FROM conversations WHERE id = $1',
        [conversationId],
      );
      if ((row?.member_count ?? 0) > options.capacity) {
        throw AppError.conflict(`The group is full (at most ${options.capacity} members)`);
      }
    }
    return added;
  }

  /** Removes members inside the caller's transaction; returns who was a member. */
  async removeMembersTx(tx: EntityManager, conversationId: string, userIds: string[]): Promise<string[]> {
    if (userIds.length === 0) return [];
    const removed = await queryRows<{ user_id: string }>(
      tx,
      'DELETE FROM conversation_members WHERE conversation_id = $1 AND user_id = ANY($2::uuid[]) RETURNING user_id',
      [conversationId, userIds],
    );
    if (removed.length > 0) {
      await tx.query('UPDATE conversations SET member_count = member_count - $2 WHERE id = $1', [
        conversationId,
        removed.length,
      ]);
    }
    return removed.map((r) => r.user_id);
  }

  /**
   * Makes the conversation's members exactly `desired`, inside the caller's transaction; returns who
   * joined and who left (announce them after the commit). `current` saves the lookup when the caller
   * already holds the members.
   */
  async setMembersTx(
    tx: EntityManager,
    conversationId: string,
    desired: Set<string>,
    current?: Set<string>,
  ): Promise<{ joined: string[]; left: string[] }> {
    const have =
      current ?? (await this.membersOfMany(tx, [conversationId])).get(conversationId) ?? new Set<string>();
    const joined = await this.addMembersTx(
      tx,
      conversationId,
      [...desired].filter((id) => !have.has(id)),
    );
    const left = await this.removeMembersTx(
      tx,
      conversationId,
      [...have].filter((id) => !desired.has(id)),
    );
    return { joined, left };
  }

  /** Adds members in a transaction of its own and announces them. */
  async addMembers(
    conversationId: string,
    userIds: string[],
    options: { role?: MemberRole; capacity?: number } = {},
  ): Promise<string[]> {
    const added = await this.dataSource.transaction((tx) =>
      this.addMembersTx(tx, conversationId, userIds, options),
    );
    this.announceJoined(conversationId, added);
    return added;
  }

  async removeMembers(conversationId: string, userIds: string[]): Promise<string[]> {
    const removed = await this.dataSource.transaction((tx) =>
      this.removeMembersTx(tx, conversationId, userIds),
    );
    this.announceLeft(conversationId, removed);
    return removed;
  }

  /** After a membership change committed: drop caches, move live sockets, tell the users. */
  announceJoined(conversationId: string, userIds: string[]): void {
    this.members.delete(conversationId);
    if (userIds.length > 0)
      this.events.emit(ConversationJoinedEvent.event, new ConversationJoinedEvent(conversationId, userIds));
  }

  announceLeft(conversationId: string, userIds: string[]): void {
    this.members.delete(conversationId);
    if (userIds.length > 0)
      this.events.emit(ConversationLeftEvent.event, new ConversationLeftEvent(conversationId, userIds));
  }

  /** Deletes a conversation with its messages; its members are told they left it. */
  async delete(conversationId: string, tx: EntityManager = this.dataSource.manager): Promise<string[]> {
    const members = await queryRows<{ user_id: string }>(
      tx,
      'DELETE FROM conversation_members WHERE conversation_id = $1 RETURNING user_id',
      [conversationId],
    );
    await tx.query('DELETE FROM conversations WHERE id = $1', [conversationId]);
    this.refs.delete(conversationId);
    return members.map((m) => m.user_id);
  }

  async roleOf(conversationId: string, userId: string): Promise<MemberRole | null> {
    const [row] = await queryRows<{ role: MemberRole }>(
      this.dataSource,
      'SELECT role FROM conversation_members WHERE conversation_id = $1 AND user_id = $2',
      [conversationId, userId],
    );
    return row?.role ?? null;
  }

  async setRole(
    conversationId: string,
    userId: string,
    role: MemberRole,
    tx: EntityManager = this.dataSource.manager,
  ): Promise<boolean> {
    const rows = await queryRows<{ user_id: string }>(
      tx,
      'UPDATE conversation_members SET role = $3 WHERE conversation_id = $1 AND user_id = $2 RETURNING user_id',
      [conversationId, userId, role],
    );
    return rows.length > 0;
  }

  /** Members with their roles, by join time. */
  async listMembers(
    conversationId: string,
    limit: number,
    cursor?: string,
  ): Promise<Page<{ userId: string; role: MemberRole; joinedAt: Date }>> {
    const params: unknown[] = [conversationId, limit + 1];
    let after = '';
    if (cursor) {
      const [at, id] = decodeCursor(cursor, ['string', 'string'] as const);
      params.push(at, id);
      after = 'AND (joined_at, user_id) > ($3::timestamptz, $4::uuid)';
    }
    const rows = await queryRows<{ user_id: string; role: MemberRole; joined_at: Date }>(
      this.dataSource,
      `SELECT user_id, role, joined_at FROM conversation_members WHERE conversation_id = $1 ${after}
        ORDER BY joined_at, user_id LIMIT $2`,
      params,
    );
    return toPage(
      rows,
      limit,
      (r) => ({ userId: r.user_id, role: r.role, joinedAt: new Date(r.joined_at) }),
      (r) => encodeCursor([new Date(r.joined_at).toISOString(), r.user_id]),
    );
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
      this.dataSource,
      'SELECT conversation_id, role FROM conversation_members WHERE user_id = $1 AND conversation_id = ANY($2::uuid[])',
      [userId, conversationIds],
    );
    return new Map(rows.map((r) => [r.conversation_id, r.role]));
  }

  /** Member counts of conversations. */
  async memberCounts(conversationIds: string[]): Promise<Map<string, number>> {
    if (conversationIds.length === 0) return new Map();
    const rows = await queryRows<{ id: string; member_count: number }>(
      this.dataSource,
      'SELECT id, member_count FROM conversations WHERE id = ANY($1::uuid[])',
      [conversationIds],
    );
    return new Map(rows.map((r) => [r.id, r.member_count]));
  }

  /**
   * The per-user channels of an application, created (with the user as sole member) where missing.
   * Returns each user's conversation id and who got a new one.
   */
  async ensureAppChannels(
    tx: EntityManager,
    appId: string,
    title: string,
    userIds: string[],
  ): Promise<{ byUser: Map<string, string>; created: Map<string, string> }> {
    const keys = userIds.map((u) => `app:${appId}:${u}`);
    const inserted = await queryRows<{ id: string; pair_key: string }>(
      tx,
      `INSERT INTO conversations (type, title, app_id, pair_key, member_count)
       SELECT 'app', $2, $1, k, 1 FROM unnest($3::text[]) AS k
       ON CONFLICT (pair_key) DO NOTHING RETURNING id, pair_key`,
      [appId, title, keys],
    );
    const userOf = (key: string) => key.slice(key.lastIndexOf(':') + 1);
    const created = new Map(inserted.map((r) => [userOf(r.pair_key), r.id]));
    if (created.size > 0) {
      await tx.query(
        'INSERT INTO conversation_members (conversation_id, user_id) SELECT unnest($1::uuid[]), unnest($2::uuid[])',
        [[...created.values()], [...created.keys()]],
      );
    }
    const all = await queryRows<{ id: string; pair_key: string }>(
      tx,
      'SELECT id, pair_key FROM conversations WHERE pair_key = ANY($1::text[])',
      [keys],
    );
    return { byUser: new Map(all.map((r) => [userOf(r.pair_key), r.id])), created };
  }

  /** Membership changed on some node: forget what this node cached. */
  @OnEvent(ConversationJoinedEvent.event)
  @OnEvent(ConversationLeftEvent.event)
  forgetMembers(event: { conversationId: string }): void {
    this.members.delete(event.conversationId);
  }

  /** The conversation, if the user is a member; NOT_FOUND otherwise (existence is not revealed). */
  async requireMember(conversationId: string, userId: string): Promise<ConversationRef> {
    const [ref, members] = await Promise.all([this.ref(conversationId), this.memberIds(conversationId)]);
    if (!ref || !members.includes(userId)) throw AppError.notFound('Conversation');
    return ref;
  }

  async isMember(conversationId: string, userId: string): Promise<boolean> {
    return (await this.memberIds(conversationId)).includes(userId);
  }

  async memberIds(conversationId: string): Promise<string[]> {
    let set = this.members.get(conversationId);
    if (!set) {
      const rows = await queryRows<{ user_id: string }>(
        this.dataSource,
        'SELECT user_id FROM conversation_members WHERE conversation_id = $1',
        [conversationId],
      );
      set = new Set(rows.map((r) => r.user_id));
      if (this.members.size >= MEMBER_CACHE_LIMIT)
        this.members.delete(this.members.keys().next().value as string);
      this.members.set(conversationId, set);
    }
    return [...set];
  }

  async conversationIdsOf(userId: string): Promise<string[]> {
    const rows = await queryRows<{ conversation_id: string }>(
      this.dataSource,
      'SELECT conversation_id FROM conversation_members WHERE user_id = $1',
      [userId],
    );
    return rows.map((r) => r.conversation_id);
  }

  async ref(conversationId: string): Promise<ConversationRef | null> {
    const cached = this.refs.get(conversationId);
    if (cached) return cached;
    const [row] = await queryRows<RefRow>(
      this.dataSource,
      `SELECT ${REF_COLUMNS} FROM conversations WHERE id = $1`,
      [conversationId],
    );
    return row ? this.remember(row) : null;
  }

  /** The caller's conversations, most recently active first, with unread counts and last message. */
  async list(userId: string, limit: number, cursor?: string): Promise<Page<ConversationDto>> {
    const params: unknown[] = [userId, limit + 1];
    let after = '';
    if (cursor) {
      const [at, id] = decodeCursor(cursor, ['string', 'string'] as const);
      params.push(at, id);
      after = 'AND (c.last_activity_at, c.id) < ($3::timestamptz, $4::uuid)';
    }
    const rows = await queryRows<ListRow>(
      this.dataSource,
      `SELECT c.id, c.type, c.title, c.pair_key, c.group_id, c.org_unit_id, c.app_id, c.last_seq,
              c.last_activity_at, m.read_seq, to_json(lm.*) AS last_message
         FROM conversation_members m
         JOIN conversations c ON c.id = m.conversation_id
         LEFT JOIN messages lm ON lm.conversation_id = c.id AND lm.seq = c.last_seq
        WHERE m.user_id = $1 ${after}
        ORDER BY c.last_activity_at DESC, c.id DESC
        LIMIT $2`,
      params,
    );
    const peerIds = rows.filter((r) => r.type === 'direct').map((r) => peerOf(r.pair_key!, userId));
    const peers = new Map((await this.users.findMany(peerIds)).map((u) => [u.id, u]));
    return toPage(
      rows,
      limit,
      (r) => {
        const peerId = r.type === 'direct' ? peerOf(r.pair_key!, userId) : undefined;
        const lastSeq = Number(r.last_seq);
        const readSeq = Number(r.read_seq);
        return {
          id: r.id,
          type: r.type,
          title: peerId ? (peers.get(peerId)?.displayName ?? null) : r.title,
          ...(peerId ? { peerId } : {}),
          ...(r.group_id ? { groupId: r.group_id } : {}),
          ...(r.org_unit_id ? { orgUnitId: r.org_unit_id } : {}),
          ...(r.app_id ? { appId: r.app_id } : {}),
          lastSeq,
          readSeq,
          unread: Math.max(0, lastSeq - readSeq),
          lastMessage: r.last_message ? MessageDto.from(messageFromJson(r.last_message)) : null,
        };
      },
      (r) => encodeCursor([new Date(r.last_activity_at).toISOString(), r.id]),
    );
  }

  /** Moves the caller's read (and with it delivered) watermark forward, never back, never past lastSeq. */
  async markRead(userId: string, conversationId: string, seq: number): Promise<number> {
    return this.moveWatermark(userId, conversationId, seq, 'read');
  }

  async markDelivered(userId: string, conversationId: string, seq: number): Promise<number> {
    return this.moveWatermark(userId, conversationId, seq, 'delivered');
  }

  /**
   * Moves a member's watermark forward, never back and never past lastSeq; reading also delivers.
   * Raises a receipt with the watermark it ends at.
   */
  private async moveWatermark(
    userId: string,
    conversationId: string,
    seq: number,
    kind: 'read' | 'delivered',
  ): Promise<number> {
    await this.requireMember(conversationId, userId);
    const delivered = 'delivered_seq = GREATEST(m.delivered_seq, LEAST($3::bigint, c.last_seq))';
    const read = 'read_seq = GREATEST(m.read_seq, LEAST($3::bigint, c.last_seq))';
    const [row] = await queryRows<{ seq: string }>(
      this.dataSource,
      `UPDATE conversation_members m SET ${kind === 'read' ? `${read}, ${delivered}` : delivered}
         FROM conversations c
        WHERE c.id = m.conversation_id AND m.conversation_id = $1 AND m.user_id = $2
        RETURNING m.${kind}_seq AS seq`,
      [conversationId, userId, seq],
    );
    const at = Number(row?.seq ?? 0);
    this.events.emit(
      ReceiptEvent.event,
      kind === 'read'
        ? new ReceiptEvent(conversationId, userId, undefined, at)
        : new ReceiptEvent(conversationId, userId, at, undefined),
    );
    return at;
  }

  private async insertMembers(
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
      await tx.query('UPDATE conversations SET member_count = member_count + $2 WHERE id = $1', [
        conversationId,
        rows.length,
      ]);
    }
    return rows.map((r) => r.user_id);
  }

  private remember(row: RefRow): ConversationRef {
    const ref: ConversationRef = {
      id: row.id,
      type: row.type,
      pairKey: row.pair_key,
      groupId: row.group_id,
      orgUnitId: row.org_unit_id,
      appId: row.app_id,
    };
    if (this.refs.size >= MEMBER_CACHE_LIMIT) this.refs.delete(this.refs.keys().next().value as string);
    this.refs.set(ref.id, ref);
    return ref;
  }
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

interface ListRow extends RefRow {
  title: string | null;
  last_seq: string;
  last_activity_at: Date;
  read_seq: string;
  last_message: Record<string, unknown> | null;
}

export const peerOf = (pairKey: string, userId: string): string => {
  const [a, b] = pairKey.split(':') as [string, string];
  return a === userId ? b : a;
};

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
