import { Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { loggable } from '../common/errors/all-exceptions.filter.js';
import { AppError } from '../common/errors/app-error.js';
import { DomainEventBus } from '../common/events/domain-events.js';
import { encodeCursor, type Page, toPage } from '../common/pagination/cursor.js';
import type { ConversationType } from './conversation.entity.js';
import { ConversationFacts } from './conversation-facts.js';
import type { MemberRole } from './conversation-member.entity.js';
import {
  type ConversationRef,
  ConversationsRepository,
  type NewConversation,
} from './conversations.repository.js';
import type { ConversationDto } from './dto/conversation.dto.js';
import { ConversationJoinedEvent } from './events/conversation-joined.event.js';
import { ConversationLeftEvent } from './events/conversation-left.event.js';
import { InboxService } from './inbox.service.js';
import { KeyedConversationsRepository, pairKeyOf } from './keyed-conversations.repository.js';
import { type MemberRow, MembershipRepository } from './membership.repository.js';

export interface MembershipChange {
  conversationId: string;
  joined: string[];
  left: string[];
}

/**
 * The life of conversations and their membership: opening direct conversations, creating the
 * conversations of groups, org units and applications, adding and removing members. Every change
 * is announced after it commits (ConversationJoinedEvent / ConversationLeftEvent), which moves
 * live sockets and drops member caches on every node.
 */
@Injectable()
export class ConversationsService {
  private readonly logger = new Logger(ConversationsService.name);

  constructor(
    private readonly db: DataSource,
    private readonly conversations: ConversationsRepository,
    private readonly keyed: KeyedConversationsRepository,
    private readonly membership: MembershipRepository,
    private readonly facts: ConversationFacts,
    private readonly events: DomainEventBus,
    private readonly inbox: InboxService,
  ) {}

  /** The direct conversation of two users; created (with both members) when `create` is set. */
  async direct(a: string, b: string, create: boolean): Promise<ConversationRef | null> {
    const key = pairKeyOf(a, b);
    const known = this.facts.knownDirect(key);
    if (known) return known;
    const found = await this.keyed.findByPairKey(key);
    if (found) return this.facts.remember(found);
    if (!create) return null;
    const created = await this.db.transaction(async (tx) => {
      const ref = await this.keyed.insertDirect(tx, key);
      if (!ref) return null; // Opened concurrently by the other user.
      await this.membership.insertMembers(tx, ref.id, [a, b]);
      return ref;
    });
    if (!created) return this.direct(a, b, false);
    await this.announce({ conversationId: created.id, joined: [a, b], left: [] });
    return this.facts.remember(created);
  }

  /**
   * Creates a non-direct conversation (group, org unit) with its first members, inside the
   * caller's transaction. Announce the members after it commits.
   */
  async create(
    tx: EntityManager,
    fields: NewConversation,
    members: { userId: string; role?: MemberRole }[],
  ): Promise<ConversationRef> {
    const ref = await this.conversations.insert(tx, fields);
    for (const role of ['owner', 'admin', 'member'] as const) {
      await this.membership.insertMembers(
        tx,
        ref.id,
        members.filter((m) => (m.role ?? 'member') === role).map((m) => m.userId),
        role,
      );
    }
    return this.facts.remember(ref);
  }

  /**
   * One-member conversations of a kind keyed by `pairKey` (an application's channel to each user),
   * created where missing and announced. Returns each key's conversation id.
   */
  async ensureKeyed(
    fields: { type: Exclude<ConversationType, 'direct'>; title: string; appId?: string },
    members: { pairKey: string; userId: string }[],
  ): Promise<Map<string, string>> {
    if (members.length === 0) return new Map();
    const { byKey, created } = await this.db.transaction((tx) => this.keyed.ensureKeyed(tx, fields, members));
    await this.announce(
      ...members.flatMap((m) => {
        const conversationId = byKey.get(m.pairKey);
        return conversationId && created.has(m.pairKey)
          ? [{ conversationId, joined: [m.userId], left: [] }]
          : [];
      }),
    );
    return byKey;
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
    const added = await this.membership.insertMembers(tx, conversationId, userIds, options.role ?? 'member');
    if (options.capacity !== undefined && added.length > 0) {
      if ((await this.membership.memberCount(tx, conversationId)) > options.capacity) {
        throw AppError.conflict(`The group is full (at most ${options.capacity} members)`);
      }
    }
    return added;
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
  ): Promise<MembershipChange> {
    const have =
      current ??
      (await this.membership.membersOfMany(tx, [conversationId])).get(conversationId) ??
      new Set<string>();
    const joined = await this.addMembersTx(
      tx,
      conversationId,
      [...desired].filter((id) => !have.has(id)),
    );
    const left = await this.membership.deleteMembers(
      tx,
      conversationId,
      [...have].filter((id) => !desired.has(id)),
    );
    return { conversationId, joined, left };
  }

  /** Current members of several conversations, in the caller's transaction. */
  membersOfMany(tx: EntityManager, conversationIds: string[]): Promise<Map<string, Set<string>>> {
    return this.membership.membersOfMany(tx, conversationIds);
  }

  /** Adds members in a transaction of its own and announces them. */
  async addMembers(
    conversationId: string,
    userIds: string[],
    options: { role?: MemberRole; capacity?: number } = {},
  ): Promise<string[]> {
    const joined = await this.db.transaction((tx) => this.addMembersTx(tx, conversationId, userIds, options));
    await this.announce({ conversationId, joined, left: [] });
    return joined;
  }

  async removeMembers(conversationId: string, userIds: string[]): Promise<string[]> {
    const left = await this.db.transaction((tx) =>
      this.membership.deleteMembers(tx, conversationId, userIds),
    );
    await this.announce({ conversationId, joined: [], left });
    return left;
  }

  /**
   * After membership changes committed: tell every node (caches, sockets) and the users, who get
   * the conversation as they see it before anything else of it.
   */
  async announce(...changes: MembershipChange[]): Promise<void> {
    const pairs = changes.flatMap((c) =>
      c.joined.map((userId) => ({ conversationId: c.conversationId, userId })),
    );
    const views =
      pairs.length === 0
        ? new Map<string, Map<string, ConversationDto>>()
        : await this.inbox.views(pairs).catch((error: unknown) => {
            // The joins stand; their users learn the conversations from the inbox or sync instead.
            this.logger.warn({ err: loggable(error) }, 'conversation views unavailable');
            return new Map<string, Map<string, ConversationDto>>();
          });
    for (const { conversationId, joined, left } of changes) {
      if (joined.length > 0) {
        this.events.emit(
          ConversationJoinedEvent.event,
          new ConversationJoinedEvent(conversationId, joined, views.get(conversationId) ?? new Map()),
        );
      }
      if (left.length > 0)
        this.events.emit(ConversationLeftEvent.event, new ConversationLeftEvent(conversationId, left));
    }
  }

  /** Deletes a conversation with its messages inside the caller's transaction; returns its members (announce them as left). */
  async delete(tx: EntityManager, conversationId: string): Promise<string[]> {
    const members = await this.membership.removeAll(tx, conversationId);
    await this.conversations.delete(tx, conversationId);
    this.facts.forgetRef(conversationId);
    return members;
  }

  setRole(tx: EntityManager, conversationId: string, userId: string, role: MemberRole): Promise<boolean> {
    return this.membership.setRole(tx, conversationId, userId, role);
  }

  memberCounts(conversationIds: string[]): Promise<Map<string, number>> {
    return this.membership.memberCounts(conversationIds);
  }

  /** Members with their roles, by join time. */
  async listMembers(conversationId: string, limit: number, cursor?: string): Promise<Page<MemberRow>> {
    const rows = await this.membership.listMembers(conversationId, limit + 1, cursor);
    return toPage(
      rows,
      limit,
      (r) => r,
      (r) => encodeCursor([r.joinedAt.toISOString(), r.userId]),
    );
  }

  conversationIdsOf(userId: string): Promise<string[]> {
    return this.membership.conversationIdsOf(userId);
  }
}
