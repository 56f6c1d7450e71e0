import type { MessageDto } from './dto/message.dto.js';

/** A message was committed. `originSocketId` is the socket that sent it (it gets the ack instead). */
export class MessageCreatedEvent {
  static readonly event = 'message.created';
  constructor(
    readonly message: MessageDto,
    readonly memberIds: string[],
    readonly originSocketId: string | null,
  ) {}
}

/** A message was edited or deleted. */
export class MessageChangedEvent {
  static readonly event = 'message.changed';
  constructor(
    readonly kind: 'updated' | 'deleted',
    readonly message: MessageDto,
    readonly memberIds: string[],
  ) {}
}

/** Users joined a conversation (a direct conversation was opened, members were added). */
export class ConversationJoinedEvent {
  static readonly event = 'conversation.joined';
  constructor(
    readonly conversationId: string,
    readonly userIds: string[],
  ) {}
}

/** Users left a conversation (removed, left, unsubscribed). */
export class ConversationLeftEvent {
  static readonly event = 'conversation.left';
  constructor(
    readonly conversationId: string,
    readonly userIds: string[],
  ) {}
}

/** A member moved their delivered or read watermark. */
export class ReceiptEvent {
  static readonly event = 'conversation.receipt';
  constructor(
    readonly conversationId: string,
    readonly userId: string,
    readonly deliveredSeq: number | undefined,
    readonly readSeq: number | undefined,
  ) {}
}
