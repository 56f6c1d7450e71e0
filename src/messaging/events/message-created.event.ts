import type { MessageDto } from '../dto/message.dto.js';

/** A message was committed. `originSocketId` is the socket that sent it (it gets the ack instead). */
export class MessageCreatedEvent {
  static readonly event = 'message.created';
  constructor(
    readonly message: MessageDto,
    readonly memberIds: string[],
    readonly originSocketId: string | null,
  ) {}
}

declare module '../../common/events/domain-events.js' {
  interface DomainEvents {
    'message.created': MessageCreatedEvent;
  }
}
