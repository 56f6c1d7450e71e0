import type { Refund } from '../common/refund.js';
import type { ConversationType } from './conversation.entity.js';
import type { MemberRole } from './conversation-member.entity.js';
import type { ConversationRef } from './conversations.repository.js';

/** How clients address a conversation in `to: {type, id}` (`user`: the direct conversation with them). */
export const RECIPIENT_TYPES = ['user', 'group', 'org'] as const;
export type RecipientType = (typeof RECIPIENT_TYPES)[number];

/**
 * Everything that differs between kinds of conversation, owned by the module that owns the kind
 * (direct conversations: messaging; groups; org units; application channels) and registered with
 * `ConversationAccess.registerPolicy` in its `onModuleInit`. Messaging asks the policy of a
 * conversation's kind; it knows nothing of groups, tenants or applications itself.
 *
 * Reading (history, sync, receipts, typing) is membership, for every kind.
 */
export interface ConversationPolicy {
  readonly kind: ConversationType;
  /** The `to.type` that addresses conversations of this kind; none: only by `conversationId`. */
  readonly recipient?: RecipientType;
  /**
   * Set for kinds nobody posts in (application channels: only their application pushes): the
   * refusal a member gets (non-members get NOT_FOUND).
   */
  readonly readOnly?: string;
  /** Resolves `to: {type: recipient, id}` to the conversation, checking the sender may post there. */
  readonly resolve?: (userId: string, id: string) => Promise<ConversationRef>;
  /**
   * Checks the user may post into this conversation (throws NOT_FOUND / FORBIDDEN); membership is
   * the policy's to check (a tenant admin posts to org units they are not in). None: members post.
   */
  readonly canPost?: (userId: string, conversation: ConversationRef) => Promise<void>;
  /** Whether a member with this role may delete others' messages; none: nobody may. */
  readonly mayModerate?: (role: MemberRole) => boolean;
  /** The user whose display name titles the conversation for `userId` (its `peerId`); none: its own title. */
  readonly peerOf?: (conversation: ConversationRef, userId: string) => string;
  /**
   * Charges one new message to whatever quota the owner keeps (a tenant's daily messages; throws
   * QUOTA_EXCEEDED), once the send is known not to be a retry; the refund gives it back when the
   * message is not stored after all. None: nothing is charged.
   */
  readonly charge?: (conversation: ConversationRef) => Promise<Refund>;
}
