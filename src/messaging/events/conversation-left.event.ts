/** Users left a conversation (removed, left, unsubscribed, or the conversation was deleted). */
export class ConversationLeftEvent {
  static readonly event = 'conversation.left';
  constructor(
    readonly conversationId: string,
    readonly userIds: string[],
  ) {}
}

declare module '../../common/events/domain-events.js' {
  interface DomainEvents {
    'conversation.left': ConversationLeftEvent;
  }
}
