import { Injectable } from '@nestjs/common';
import { AppError } from '../common/errors/app-error.js';
import { nothingToRefund, type Refund } from '../common/refund.js';
import type { ConversationType } from './conversation.entity.js';
import { ConversationFacts } from './conversation-facts.js';
import type { MemberRole } from './conversation-member.entity.js';
import type { ConversationPolicy, RecipientType } from './conversation-policy.js';
import type { ConversationRef } from './conversations.repository.js';
import { MembershipRepository } from './membership.repository.js';

/**
 * What a user may do in a conversation: `read` (history, sync, receipts, typing: members only),
 * `post` (a new message) and `moderate` (delete others' messages), the last two as the policy of
 * the conversation's kind says.
 */
export type ConversationAction = 'read' | 'post' | 'moderate';

/**
 * The one place that answers "may user U do A on conversation C": membership for reading, the
 * policy of C's kind for the rest. The facts it decides on (refs, members, relations) come cached
 * from {@link ConversationFacts}.
 */
@Injectable()
export class ConversationAccess {
  private readonly policies = new Map<ConversationType, ConversationPolicy>();
  private readonly recipients = new Map<RecipientType, ConversationPolicy>();

  constructor(
    private readonly facts: ConversationFacts,
    private readonly membership: MembershipRepository,
  ) {}

  /** The module owning a kind of conversation tells messaging what differs in it. */
  registerPolicy(policy: ConversationPolicy): void {
    if (this.policies.has(policy.kind)) throw new Error(`Two policies for ${policy.kind} conversations`);
    this.policies.set(policy.kind, policy);
    if (policy.recipient) this.recipients.set(policy.recipient, policy);
  }

  policyOf(kind: ConversationType): ConversationPolicy {
    const policy = this.policies.get(kind);
    if (!policy) throw new Error(`No policy for ${kind} conversations`);
    return policy;
  }

  /** The conversation `to: {type, id}` addresses, when the user may post there. */
  resolveRecipient(userId: string, to: { type: RecipientType; id: string }): Promise<ConversationRef> {
    const resolve = this.recipients.get(to.type)?.resolve;
    if (!resolve) throw AppError.notFound('Recipient');
    return resolve(userId, to.id);
  }

  /** Charges a new message in the conversation to its owner's quota, as its kind's policy says. */
  charge(conversation: ConversationRef): Promise<Refund> {
    return this.policyOf(conversation.type).charge?.(conversation) ?? Promise.resolve(nothingToRefund);
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
        const mayModerate = this.policyOf(conversation.type).mayModerate;
        const role = mayModerate ? await this.roleOf(conversationId, userId) : null;
        if (!role || !mayModerate?.(role)) throw AppError.forbidden('Only the sender can change a message');
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

  async isMember(conversationId: string, userId: string): Promise<boolean> {
    return (await this.facts.memberSet(conversationId)).has(userId);
  }

  async memberIds(conversationId: string): Promise<string[]> {
    return [...(await this.facts.memberSet(conversationId))];
  }

  async roleOf(conversationId: string, userId: string): Promise<MemberRole | null> {
    return (await this.membership.rolesOf(userId, [conversationId])).get(conversationId) ?? null;
  }

  /** The user's role in each of the given conversations they are a member of. */
  rolesOf(userId: string, conversationIds: string[]): Promise<Map<string, MemberRole>> {
    return this.membership.rolesOf(userId, conversationIds);
  }

  ref(conversationId: string): Promise<ConversationRef | null> {
    return this.facts.ref(conversationId);
  }

  /** Everyone the user blocked or was blocked by: typing and receipts do not pass between them. */
  blockedEitherWay(userId: string): Promise<ReadonlySet<string>> {
    return this.facts.blockedEitherWay(userId);
  }

  private async requireMember(conversationId: string, userId: string): Promise<ConversationRef> {
    const [ref, members] = await Promise.all([
      this.facts.ref(conversationId),
      this.facts.memberSet(conversationId),
    ]);
    if (!ref || !members.has(userId)) throw AppError.notFound('Conversation');
    return ref;
  }

  private async requirePoster(userId: string, conversationId: string): Promise<ConversationRef> {
    const conversation = await this.facts.ref(conversationId);
    if (!conversation) throw AppError.notFound('Conversation');
    const policy = this.policyOf(conversation.type);
    if (policy.readOnly !== undefined) {
      await this.requireMember(conversation.id, userId);
      throw AppError.forbidden(policy.readOnly);
    }
    if (policy.canPost) await policy.canPost(userId, conversation);
    else await this.requireMember(conversation.id, userId);
    return conversation;
  }
}
