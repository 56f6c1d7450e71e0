import { Injectable } from '@nestjs/common';
import { EventEmitter2, OnEvent, type OnEventOptions } from '@nestjs/event-emitter';

/**
 * Every domain event with the class it carries. Each module adds its own events by augmenting this
 * interface next to their classes:
 *
 * ```ts
 * declare module '../../common/events/domain-events.js' {
 *   interface DomainEvents { 'message.created': MessageCreatedEvent }
 * }
 * ```
 *
 * {@link DomainEventBus.emit} and {@link OnDomainEvent} accept only these names, each with its
 * payload type, so an event's name and its payload cannot drift apart.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface DomainEvents {}

export type DomainEventName = keyof DomainEvents;

/**
 * Raises domain events, after the change they announce has committed. Handlers run in the
 * emitter's turn unless they subscribed with `{ async: true }`.
 */
@Injectable()
export class DomainEventBus {
  constructor(private readonly emitter: EventEmitter2) {}

  emit<K extends DomainEventName>(name: K, event: DomainEvents[K]): void {
    this.emitter.emit(name, event);
  }
}

/**
 * `@OnEvent` for a domain event: the decorated method must accept the event's payload (a handler
 * of several events may take what they have in common).
 */
export function OnDomainEvent<K extends DomainEventName>(name: K, options?: OnEventOptions) {
  return <M extends (event: DomainEvents[K]) => unknown>(
    target: object,
    key: string | symbol,
    descriptor: TypedPropertyDescriptor<M>,
  ): void => {
    OnEvent(name, options)(target, key, descriptor);
  };
}
