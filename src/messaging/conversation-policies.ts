import { Injectable } from '@nestjs/common';
import type { ConversationType } from './conversation.entity.js';
import type { ConversationRef } from './conversations.service.js';

/**
 * How the module that owns a kind of conversation (groups, org units, applications) decides who
 * may post in it. Messaging asks; it does not know groups or tenants itself.
 */
export interface ConversationPolicy {
  /** Resolves `to: {type, id}` to the conversation, checking the sender may post there. */
  resolve(userId: string, id: string): Promise<ConversationRef>;
  /** Checks the user may post into this conversation (throws NOT_FOUND / FORBIDDEN / QUOTA_EXCEEDED). */
  canPost(userId: string, conversation: ConversationRef): Promise<void>;
}

@Injectable()
export class ConversationPolicies {
  private readonly policies = new Map<ConversationType, ConversationPolicy>();

  register(type: Exclude<ConversationType, 'direct'>, policy: ConversationPolicy): void {
    this.policies.set(type, policy);
  }

  get(type: ConversationType): ConversationPolicy | undefined {
    return this.policies.get(type);
  }
}
