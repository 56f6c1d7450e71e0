import type { ConversationDto } from '../dto/conversation.dto.js';

/**
 * Users joined a conversation (a direct conversation was opened, members were added), with the
 * conversation as each of them sees it (a user whose view could not be read is missing from `views`).
 */
export class ConversationJoinedEvent {
  static readonly event = 'conversation.joined';
  constructor(
    readonly conversationId: string,
    readonly userIds: string[],
    readonly views: ReadonlyMap<string, ConversationDto>,
  ) {}
}

declare module '../../common/events/domain-events.js' {
  interface DomainEvents {
    'conversation.joined': ConversationJoinedEvent;
  }
}
