/** Users joined a conversation (a direct conversation was opened, members were added). */
export class ConversationJoinedEvent {
  static readonly event = 'conversation.joined';
  constructor(
    readonly conversationId: string,
    readonly userIds: string[],
  ) {}
}
