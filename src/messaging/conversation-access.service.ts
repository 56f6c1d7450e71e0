import { Injectable, type OnModuleInit } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { AppConfig } from '../common/config/app-config.js';
import { AppError } from '../common/errors/app-error.js';
import { ClusterBus } from '../common/redis/cluster-bus.js';
import { nothingToRefund, type Refund } from '../common/refund.js';
import { BlocksService } from '../users/blocks.service.js';
import { FriendsService } from '../users/friends.service.js';
import { FriendshipChangedEvent } from '../users/friendship-changed.event.js';
import { RelationChangedEvent } from '../users/relation-changed.event.js';
import type { ConversationType } from './conversation.entity.js';
import type { MemberRole } from './conversation-member.entity.js';
import { type ConversationRef, ConversationsRepository } from './conversations.repository.js';
import { ConversationJoinedEvent } from './events/conversation-joined.event.js';
import { ConversationLeftEvent } from './events/conversation-left.event.js';

/**
 * How the module that owns a kind of conversation (groups, org units) decides who may post in it.
 * Messaging asks; it does not know groups or tenants itself.
 */
export interface ConversationPolicy {
  /** Resolves `to: {type, id}` to the conversation, checking the sender may post there. */
  resolve(userId: string, id: string): Promise<ConversationRef>;
  /** Checks the user may post into this conversation (throws NOT_FOUND / FORBIDDEN). */
  canPost(userId: string, conversation: ConversationRef): Promise<void>;
  /**
   * Charges one new message to whatever quota the owner keeps (a tenant's daily messages; throws
   * QUOTA_EXCEEDED), once the send is known not to be a retry; the refund gives it back when the
   * message is not stored after all.
   */
  charge(conversation: ConversationRef): Promise<Refund>;
}

/**
 * What a user may do in a conversation: `read` (history, sync, receipts, typing: members only),
 * `post` (a new message: DM_POLICY and blocks for direct conversations, the owning module's policy
 * for groups and org units, nobody for application channels) and `moderate` (delete others'
 * messages: group owners and admins).
 */
export type ConversationAction = 'read' | 'post' | 'moderate';

const CACHE_LIMIT = 10_000;
/** A cached relation is trusted this long at most, should an invalidation have been missed. */
const RELATION_TTL_MS = 60_000;
const BUS_CHANNEL = 'conversation-members';
declare module '../common/redis/bus-channels.js' {
  interface BusChannels {
    'conversation-members': Invalidation;
  }
}

type Relation = { exists: boolean; blocked: boolean; friends: boolean };
/** What the bus carries: a conversation whose members changed, or two users whose relation did. */
type Invalidation = { conversationId: string } | { userId: string; otherId: string | null };

export const pairKeyOf = (a: string, b: string): string => (a < b ? `${a}:${b}` : `${b}:${a}`);

export const peerOf = (pairKey: string, userId: string): string => {
  const [a, b] = pairKey.split(':') as [string, string];
  return a === userId ? b : a;
};

/**
 * The one place that answers "may user U do A on conversation C", from the database. Member lists
 * (per conversation) and relations (per pair of users: account active, blocks, friendship) are
 * cached and dropped on every node whenever they change (the cluster bus carries the
 * invalidation; while the bus is interrupted nothing is cached, and what was is dropped);
 * conversation refs never change and are cached as they are.
 */
@Injectable()
export class ConversationAccess implements OnModuleInit {
  private readonly members = new Map<string, Set<string>>();
  private readonly refs = new Map<string, ConversationRef>();
  /** Direct conversations by pair key (they are never re-created under another id). */
  private readonly directs = new Map<string, ConversationRef>();
  /** `from>to` → the relation and when it was read. */
  private readonly relations = new Map<string, { relation: Relation; at: number }>();
  /** User id → everyone they blocked or were blocked by, and when it was read. */
  private readonly blockedSets = new Map<string, { ids: ReadonlySet<string>; at: number }>();
  /** Bumped by every invalidation, so that a read racing one is not cached. */
  private generation = 0;
  private readonly policies = new Map<ConversationType, ConversationPolicy>();

  constructor(
    private readonly conversations: ConversationsRepository,
    private readonly friends: FriendsService,
    private readonly blocks: BlocksService,
    private readonly bus: ClusterBus,
    private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.bus.subscribe(BUS_CHANNEL, (change) => {
      if ('conversationId' in change) this.forget(change.conversationId);
      else this.forgetRelations(change.userId, change.otherId);
    });
    // Invalidations missed while the bus was down: nothing cached before can be trusted.
    this.bus.onInterruption(() => {
      this.generation += 1;
      this.members.clear();
      this.relations.clear();
      this.blockedSets.clear();
    });
  }

  /** Whether what is read now may be cached: no invalidation raced it, and invalidations are heard. */
  private cacheable(generation: number): boolean {
    return generation === this.generation && this.bus.reliable;
  }

  /** The module owning a kind of conversation tells messaging who may post in it. */
  registerPolicy(type: Exclude<ConversationType, 'direct' | 'app'>, policy: ConversationPolicy): void {
    this.policies.set(type, policy);
  }

  policyFor(type: ConversationType): ConversationPolicy | undefined {
    return this.policies.get(type);
  }

  /** Charges a new message in the conversation to its owner's quota (direct conversations have none). */
  charge(conversation: ConversationRef): Promise<Refund> {
    return this.policies.get(conversation.type)?.charge(conversation) ?? Promise.resolve(nothingToRefund);
  }

  /**
   * The conversation, when the user may do `action` in it. Conversations the user may not read do
   * not exist for them (NOT_FOUND); other refusals are FORBIDDEN (or the policy's own code).
   */
  async require(
    userId: string,
    conversationId: string,
    action: ConversationAction,
  ): Promise<ConversationRef> {
    switch (action) {
      case 'read':
        return this.requireMember(conversationId, userId);
      case 'post':
        return this.requirePoster(userId, conversationId);
      case 'moderate': {
        const conversation = await this.requireMember(conversationId, userId);
        const role = await this.roleOf(conversationId, userId);
        if (conversation.type !== 'group' || (role !== 'owner' && role !== 'admin'))
          throw AppError.forbidden('Only the sender can change a message');
        return conversation;
      }
    }
  }

  /** Whether the user may do `action`, without saying why not. */
  async may(userId: string, conversationId: string, action: ConversationAction): Promise<boolean> {
    return this.require(userId, conversationId, action).then(
      () => true,
      (error: unknown) => {
        if (error instanceof AppError && (error.code === 'NOT_FOUND' || error.code === 'FORBIDDEN'))
          return false;
        throw error;
      },
    );
  }

  /**
   * DM_POLICY and blocks, checked on every direct send. A refusal read from the cache is confirmed
   * with the database first: a friendship made on another node a moment ago (its invalidation
   * still crossing Redis) must not be refused, and refusals are rare enough to pay for a read.
   */
  async requireDirectPeer(userId: string, peerId: string): Promise<void> {
    const key = `${userId}>${peerId}`;
    const wasCached = this.relations.has(key);
    let refusal = this.refusal(await this.relation(userId, peerId));
    if (refusal && wasCached) {
      this.relations.delete(key);
      refusal = this.refusal(await this.relation(userId, peerId));
    }
    if (refusal) throw refusal;
  }

  private refusal(relation: Relation): AppError | null {
    if (!relation.exists) return AppError.notFound('User');
    if (relation.blocked) return AppError.forbidden('You cannot message this user');
    if (this.config.dmPolicy === 'friends' && !relation.friends) {
      return AppError.forbidden('You can only message your friends');
    }
    return null;
  }

  async isMember(conversationId: string, userId: string): Promise<boolean> {
    return (await this.memberSet(conversationId)).has(userId);
  }

  async memberIds(conversationId: string): Promise<string[]> {
    return [...(await this.memberSet(conversationId))];
  }

  async roleOf(conversationId: string, userId: string): Promise<MemberRole | null> {
    return (await this.conversations.rolesOf(userId, [conversationId])).get(conversationId) ?? null;
  }

  /** The user's role in each of the given conversations they are a member of. */
  rolesOf(userId: string, conversationIds: string[]): Promise<Map<string, MemberRole>> {
    return this.conversations.rolesOf(userId, conversationIds);
  }

  async ref(conversationId: string): Promise<ConversationRef | null> {
    const cached = this.refs.get(conversationId);
    if (cached) return cached;
    const ref = await this.conversations.findRef(conversationId);
    return ref ? this.remember(ref) : null;
  }

  /** Keeps a ref this node just created or read (refs never change). */
  remember(ref: ConversationRef): ConversationRef {
    if (this.refs.size >= CACHE_LIMIT) this.refs.delete(this.refs.keys().next().value as string);
    this.refs.set(ref.id, ref);
    if (ref.pairKey) {
      if (this.directs.size >= CACHE_LIMIT) this.directs.delete(this.directs.keys().next().value as string);
      this.directs.set(ref.pairKey, ref);
    }
    return ref;
  }

  /** The direct conversation of a pair, when this node knows it already. */
  knownDirect(pairKey: string): ConversationRef | undefined {
    return this.directs.get(pairKey);
  }

  /** Forgets a deleted conversation on this node. */
  forgetRef(conversationId: string): void {
    const ref = this.refs.get(conversationId);
    if (ref?.pairKey) this.directs.delete(ref.pairKey);
    this.refs.delete(conversationId);
  }

  /** Membership changed here: forget the member list on this node now, and on every node through the bus. */
  @OnEvent(ConversationJoinedEvent.event)
  @OnEvent(ConversationLeftEvent.event)
  async onMembershipChanged(event: { conversationId: string }): Promise<void> {
    this.forget(event.conversationId);
    await this.bus.publish(BUS_CHANNEL, { conversationId: event.conversationId }).catch(() => undefined);
  }

  @OnEvent(FriendshipChangedEvent.event)
  async onFriendshipChanged(e: FriendshipChangedEvent): Promise<void> {
    await this.relationsChanged(e.userId, e.friendId);
  }

  @OnEvent(RelationChangedEvent.event)
  async onRelationChanged(e: RelationChangedEvent): Promise<void> {
    await this.relationsChanged(e.userId, e.otherId);
  }

  private async relationsChanged(userId: string, otherId: string | null): Promise<void> {
    this.forgetRelations(userId, otherId);
    const change: Invalidation = { userId, otherId };
    await this.bus.publish(BUS_CHANNEL, change).catch(() => undefined);
  }

  private forget(conversationId: string): void {
    this.generation += 1;
    this.members.delete(conversationId);
  }

  private forgetRelations(userId: string, otherId: string | null): void {
    this.generation += 1;
    this.blockedSets.delete(userId);
    if (otherId) this.blockedSets.delete(otherId);
    if (otherId) {
      this.relations.delete(`${userId}>${otherId}`);
      this.relations.delete(`${otherId}>${userId}`);
      return;
    }
    for (const key of this.relations.keys()) if (key.includes(userId)) this.relations.delete(key);
  }

  /**
   * Everyone the user blocked or was blocked by: typing and receipts do not pass between them, in
   * any conversation. Cached like relations, and dropped with them.
   */
  async blockedEitherWay(userId: string): Promise<ReadonlySet<string>> {
    const cached = this.blockedSets.get(userId);
    const now = Date.now();
    if (cached && now - cached.at < RELATION_TTL_MS) return cached.ids;
    const generation = this.generation;
    const ids = new Set(await this.blocks.blockedEitherWayOf(userId));
    if (this.cacheable(generation)) {
      if (this.blockedSets.size >= CACHE_LIMIT)
        this.blockedSets.delete(this.blockedSets.keys().next().value as string);
      this.blockedSets.set(userId, { ids, at: now });
    }
    return ids;
  }

  private async relation(userId: string, peerId: string): Promise<Relation> {
    const key = `${userId}>${peerId}`;
    const cached = this.relations.get(key);
    const now = Date.now();
    if (cached && now - cached.at < RELATION_TTL_MS) return cached.relation;
    const generation = this.generation;
    const relation = await this.friends.relation(userId, peerId);
    if (this.cacheable(generation)) {
      if (this.relations.size >= CACHE_LIMIT)
        this.relations.delete(this.relations.keys().next().value as string);
      this.relations.set(key, { relation, at: now });
    }
    return relation;
  }

  private async requireMember(conversationId: string, userId: string): Promise<ConversationRef> {
    const [ref, members] = await Promise.all([this.ref(conversationId), this.memberSet(conversationId)]);
    if (!ref || !members.has(userId)) throw AppError.notFound('Conversation');
    return ref;
  }

  private async requirePoster(userId: string, conversationId: string): Promise<ConversationRef> {
    const conversation = await this.ref(conversationId);
    if (!conversation) throw AppError.notFound('Conversation');
    switch (conversation.type) {
      case 'direct':
        await this.requireMember(conversation.id, userId);
        await this.requireDirectPeer(userId, peerOf(conversation.pairKey!, userId));
        return conversation;
      case 'app':
        await this.requireMember(conversation.id, userId);
        throw AppError.forbidden('Application channels are read-only');
      case 'group':
      case 'org': {
        // The owning module decides, membership included: tenant admins post to org units they are not in.
        const policy = this.policies.get(conversation.type);
        if (policy) await policy.canPost(userId, conversation);
        else await this.requireMember(conversation.id, userId);
        return conversation;
      }
    }
  }

  private async memberSet(conversationId: string): Promise<Set<string>> {
    const cached = this.members.get(conversationId);
    if (cached) return cached;
    const generation = this.generation;
    const set = new Set(await this.conversations.memberIds(conversationId));
    if (this.cacheable(generation)) {
      if (this.members.size >= CACHE_LIMIT) this.members.delete(this.members.keys().next().value as string);
      this.members.set(conversationId, set);
    }
    return set;
  }
}
