import type { MessageDto } from '../dto/message.dto.js';

/** A message was edited or deleted. */
export class MessageChangedEvent {
  static readonly event = 'message.changed';
  constructor(
    readonly kind: 'updated' | 'deleted',
    readonly message: MessageDto,
    readonly memberIds: string[],
  ) {}
}

declare module '../../common/events/domain-events.js' {
  interface DomainEvents {
    'message.changed': MessageChangedEvent;
  }
}
