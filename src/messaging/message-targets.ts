import { Injectable } from '@nestjs/common';
import { AppError } from '../common/errors/app-error.js';
import { ConversationAccess } from './conversation-access.service.js';
import type { ConversationRef } from './conversations.repository.js';
import { ConversationsService } from './conversations.service.js';
import type { SendMessageDto } from './dto/message.dto.js';

/**
 * Where a message goes: `conversationId`, or `to: {type, id}` (a user, whose direct conversation
 * opens on the first message; a group or an org unit, resolved by the module that owns it). The
 * sender's right to post there is checked on the way.
 */
@Injectable()
export class MessageTargets {
  constructor(
    private readonly access: ConversationAccess,
    private readonly conversations: ConversationsService,
  ) {}

  async resolve(
    userId: string,
    dto: Pick<SendMessageDto, 'to' | 'conversationId'>,
  ): Promise<ConversationRef> {
    if (Boolean(dto.to) === Boolean(dto.conversationId)) {
      throw AppError.validation('Give exactly one of to and conversationId', {
        fields: [{ field: 'to', problems: ['exactly one of to and conversationId is required'] }],
      });
    }
    if (dto.conversationId) return this.access.require(userId, dto.conversationId, 'post');
    const { type, id } = dto.to!;
    if (type === 'user') {
      if (id === userId)
        throw AppError.validation('You cannot message yourself', {
          fields: [{ field: 'to.id', problems: ['is the sender'] }],
        });
      await this.access.requireDirectPeer(userId, id);
      return (await this.conversations.direct(userId, id, true))!;
    }
    const policy = this.access.policyFor(type);
    if (!policy) throw AppError.notFound(type === 'group' ? 'Group' : 'Org unit');
    return policy.resolve(userId, id);
  }
}
