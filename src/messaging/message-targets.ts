import { Injectable } from '@nestjs/common';
import { AppError } from '../common/errors/app-error.js';
import { ConversationAccess } from './conversation-access.service.js';
import type { ConversationRef } from './conversations.repository.js';
import type { SendMessageDto } from './dto/message.dto.js';

/**
 * Where a message goes: `conversationId`, or `to: {type, id}` (resolved by the policy of the kind
 * that type addresses: a user's direct conversation opens on the first message). The sender's
 * right to post there is checked on the way.
 */
@Injectable()
export class MessageTargets {
  constructor(private readonly access: ConversationAccess) {}

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
    return this.access.resolveRecipient(userId, dto.to!);
  }
}
