import { Global, Module } from '@nestjs/common';
import { DomainEventBus } from './domain-events.js';

/** The {@link DomainEventBus} for every module (on the EventEmitter2 of `EventEmitterModule`). */
@Global()
@Module({
  providers: [DomainEventBus],
  exports: [DomainEventBus],
})
export class DomainEventsModule {}
