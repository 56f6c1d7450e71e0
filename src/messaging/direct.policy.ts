import { Injectable, type OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../common/config/app-config.js';
import { AppError } from '../common/errors/app-error.js';
import { ConversationAccess } from './conversation-access.service.js';
import { ConversationFacts, type Relation } from './conversation-facts.js';
import type { ConversationRef } from './conversations.repository.js';
import { ConversationsService } from './conversations.service.js';
import { peerOf } from './keyed-conversations.repository.js';

/**
 * Direct conversations: addressed as `to: {type: 'user', id}` (opened on the first message),
 * titled by the peer, posted in as DM_POLICY and blocks allow, moderated by nobody, charged to no
 * quota.
 */
@Injectable()
export class DirectPolicy implements OnModuleInit {
  constructor(
    private readonly access: ConversationAccess,
    private readonly facts: ConversationFacts,
    private readonly conversations: ConversationsService,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.access.registerPolicy({
      kind: 'direct',
      recipient: 'user',
      resolve: async (userId, peerId) => {
        if (peerId === userId)
          throw AppError.validation('You cannot message yourself', {
            fields: [{ field: 'to.id', problems: ['is the sender'] }],
          });
        await this.requirePeer(userId, peerId);
        return (await this.conversations.direct(userId, peerId, true))!;
      },
      canPost: async (userId, conversation) => {
        if (!(await this.access.isMember(conversation.id, userId))) throw AppError.notFound('Conversation');
        await this.requirePeer(userId, this.peerOf(conversation, userId));
      },
      peerOf: (conversation, userId) => this.peerOf(conversation, userId),
    });
  }

  private peerOf(conversation: ConversationRef, userId: string): string {
    return peerOf(conversation.pairKey!, userId);
  }

  /**
   * DM_POLICY and blocks, checked on every direct send. A refusal read from the cache is confirmed
   * with the database first: a friendship made on another node a moment ago (its invalidation
   * still crossing Redis) must not be refused, and refusals are rare enough to pay for a read.
   */
  private async requirePeer(userId: string, peerId: string): Promise<void> {
    const wasCached = this.facts.hasRelation(userId, peerId);
    let refusal = this.refusal(await this.facts.relation(userId, peerId));
    if (refusal && wasCached) refusal = this.refusal(await this.facts.relation(userId, peerId, true));
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
}
