import { Injectable } from '@nestjs/common';
import { OnDomainEvent } from '../common/events/domain-events.js';
import { CacheService, type SharedCache } from '../common/cache/cache.service.js';
import { BlocksService } from '../users/blocks.service.js';
import { FriendsService } from '../users/friends.service.js';
import { FriendshipChangedEvent } from '../users/friendship-changed.event.js';
import { RelationChangedEvent } from '../users/relation-changed.event.js';
import { type ConversationRef, ConversationsRepository } from './conversations.repository.js';
import { ConversationJoinedEvent } from './events/conversation-joined.event.js';
import { ConversationLeftEvent } from './events/conversation-left.event.js';
import { MembershipRepository } from './membership.repository.js';

/** What direct messaging needs to know of a pair: the recipient's account is active, blocks, friendship. */
export interface Relation {
  exists: boolean;
  blocked: boolean;
  friends: boolean;
}

const CACHE_LIMIT = 10_000;
/** A cached relation is trusted this long at most, should an invalidation have been missed. */
const RELATION_TTL_MS = 60_000;

const relationKey = (userId: string, peerId: string): string => `${userId}>${peerId}`;

/**
 * The facts access rules are decided on, cached: member lists (per conversation) and relations
 * (per pair of users) are dropped on every node whenever they change (membership, friendship,
 * block and account events); conversation refs, and direct conversations by pair key, never change
 * and are cached as they are.
 */
@Injectable()
export class ConversationFacts {
  private readonly members: SharedCache<ReadonlySet<string>>;
  private readonly refs: SharedCache<ConversationRef>;
  /** Direct conversations by pair key (they are never re-created under another id). */
  private readonly directs: SharedCache<ConversationRef>;
  /** `from>to` → the relation. */
  private readonly relations: SharedCache<Relation>;
  /** User id → everyone they blocked or were blocked by. */
  private readonly blockedSets: SharedCache<ReadonlySet<string>>;

  constructor(
    private readonly conversations: ConversationsRepository,
    private readonly membership: MembershipRepository,
    private readonly friends: FriendsService,
    private readonly blocks: BlocksService,
    caches: CacheService,
  ) {
    this.members = caches.create({ name: 'conversation-members', max: CACHE_LIMIT });
    this.refs = caches.create({ name: 'conversation-refs', max: CACHE_LIMIT, scope: 'immutable' });
    this.directs = caches.create({ name: 'direct-conversations', max: CACHE_LIMIT, scope: 'immutable' });
    this.relations = caches.create({ name: 'user-relations', max: CACHE_LIMIT, ttlMs: RELATION_TTL_MS });
    this.blockedSets = caches.create({ name: 'blocked-sets', max: CACHE_LIMIT, ttlMs: RELATION_TTL_MS });
  }

  memberSet(conversationId: string): Promise<ReadonlySet<string>> {
    return this.members.read(
      conversationId,
      async () => new Set(await this.membership.memberIds(conversationId)),
    );
  }

  async ref(conversationId: string): Promise<ConversationRef | null> {
    const cached = this.refs.peek(conversationId);
    if (cached) return cached;
    const ref = await this.conversations.findRef(conversationId);
    return ref ? this.remember(ref) : null;
  }

  /** Keeps a ref this node just created or read (refs never change). */
  remember(ref: ConversationRef): ConversationRef {
    this.refs.set(ref.id, ref);
    if (ref.pairKey) this.directs.set(ref.pairKey, ref);
    return ref;
  }

  /** The direct conversation of a pair, when this node knows it already. */
  knownDirect(pairKey: string): ConversationRef | undefined {
    return this.directs.peek(pairKey);
  }

  /** Forgets a deleted conversation on this node. */
  forgetRef(conversationId: string): void {
    const ref = this.refs.peek(conversationId);
    if (ref?.pairKey) this.directs.drop([ref.pairKey]);
    this.refs.drop([conversationId]);
  }

  /** The relation of `userId` towards `peerId`; `fresh`: read from the database, not the cache. */
  relation(userId: string, peerId: string, fresh = false): Promise<Relation> {
    const key = relationKey(userId, peerId);
    if (fresh) this.relations.drop([key]);
    return this.relations.read(key, () => this.friends.relation(userId, peerId));
  }

  /** Whether the relation is cached on this node (a refusal read from the cache gets confirmed). */
  hasRelation(userId: string, peerId: string): boolean {
    return this.relations.has(relationKey(userId, peerId));
  }

  /**
   * Everyone the user blocked or was blocked by: typing and receipts do not pass between them, in
   * any conversation. Cached like relations, and dropped with them.
   */
  blockedEitherWay(userId: string): Promise<ReadonlySet<string>> {
    return this.blockedSets.read(userId, async () => new Set(await this.blocks.blockedEitherWayOf(userId)));
  }

  /** Membership changed here: forget the member list on this node now, and on every node through the bus. */
  @OnDomainEvent(ConversationJoinedEvent.event)
  @OnDomainEvent(ConversationLeftEvent.event)
  async onMembershipChanged(event: { conversationId: string }): Promise<void> {
    await this.members.invalidate(event.conversationId);
  }

  @OnDomainEvent(FriendshipChangedEvent.event)
  async onFriendshipChanged(e: FriendshipChangedEvent): Promise<void> {
    await this.relationsChanged(e.userId, e.friendId);
  }

  @OnDomainEvent(RelationChangedEvent.event)
  async onRelationChanged(e: RelationChangedEvent): Promise<void> {
    await this.relationsChanged(e.userId, e.otherId);
  }

  /** A relation changed towards one other user, or (`otherId` null: an account) towards everyone. */
  private async relationsChanged(userId: string, otherId: string | null): Promise<void> {
    await Promise.all([
      this.blockedSets.invalidate(...(otherId ? [userId, otherId] : [userId])),
      otherId
        ? this.relations.invalidate(relationKey(userId, otherId), relationKey(otherId, userId))
        : this.relations.invalidateAll(),
    ]);
  }
}
