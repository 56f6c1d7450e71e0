import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { EventEmitterModule, OnEvent } from '@nestjs/event-emitter';
import { Test, type TestingModule } from '@nestjs/testing';
import { DomainEventBus, OnDomainEvent } from '../../common/events/domain-events.js';
import { DomainEventsModule } from '../../common/events/domain-events.module.js';
import { ConversationJoinedEvent } from './conversation-joined.event.js';
import { ConversationLeftEvent } from './conversation-left.event.js';
import { MessageCreatedEvent } from './message-created.event.js';

@Injectable()
class Listener {
  readonly heard: [string, unknown][] = [];

  @OnDomainEvent(ConversationJoinedEvent.event)
  @OnDomainEvent(ConversationLeftEvent.event)
  onMembership(event: { conversationId: string }): void {
    this.heard.push(['membership', event.conversationId]);
  }

  /** A subscriber still on the untyped decorator hears the same names. */
  @OnEvent(ConversationLeftEvent.event)
  onLeftUntyped(event: ConversationLeftEvent): void {
    this.heard.push(['untyped', event.conversationId]);
  }
}

describe('DomainEventBus and OnDomainEvent', () => {
  let moduleRef: TestingModule;
  beforeAll(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [EventEmitterModule.forRoot(), DomainEventsModule],
      providers: [Listener],
    }).compile();
    await moduleRef.init();
  });
  afterAll(async () => {
    await moduleRef.close();
  });

  it('delivers an event to the handlers of its name, typed or not, and to no others', () => {
    const bus = moduleRef.get(DomainEventBus);
    const listener = moduleRef.get(Listener);
    bus.emit(ConversationLeftEvent.event, new ConversationLeftEvent('c1', ['u1']));
    bus.emit(ConversationJoinedEvent.event, new ConversationJoinedEvent('c2', ['u1'], new Map()));
    expect(listener.heard).toEqual([
      ['membership', 'c1'],
      ['untyped', 'c1'],
      ['membership', 'c2'],
    ]);
  });
});

/** Never called: what the type-check must refuse (each line below `@ts-expect-error` fails it). */
export function _refusedByTheTypeCheck(bus: DomainEventBus): void {
  const message = { id: 'm' } as MessageCreatedEvent['message'];

  // @ts-expect-error a name carries its own class, not another event's
  bus.emit(MessageCreatedEvent.event, new ConversationLeftEvent('c', []));
  // @ts-expect-error a name no module declared
  bus.emit('message.sent', new MessageCreatedEvent(message, [], null));
  bus.emit(MessageCreatedEvent.event, new MessageCreatedEvent(message, [], null));

  class _WrongHandler {
    // @ts-expect-error a handler must accept the payload of the event it handles
    @OnDomainEvent(MessageCreatedEvent.event)
    onCreated(_event: ConversationLeftEvent): void {}

    @OnDomainEvent(ConversationJoinedEvent.event)
    // @ts-expect-error a handler of two events takes only what both carry
    @OnDomainEvent(ConversationLeftEvent.event)
    onMembership(_event: ConversationJoinedEvent): void {}
  }
}
