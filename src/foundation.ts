import type { DynamicModule } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import type { AppConfig } from './common/config/app-config.js';
import { ConfigModule } from './common/config/config.module.js';
import { DomainEventsModule } from './common/events/domain-events.module.js';
import { LifecycleModule } from './common/lifecycle/lifecycle.module.js';
import { LoggingModule } from './common/logging.js';
import { RateLimitModule } from './common/rate-limit/rate-limit.module.js';
import { RedisModule } from './common/redis/redis.module.js';
import { StorageModule } from './common/storage/storage.module.js';
import { DatabaseModule } from './database/database.module.js';
import { RealtimeModule } from './realtime/realtime.module.js';

/**
 * What every domain module stands on (configuration, lifecycle, logging, events, Redis, storage,
 * rate limits, the database, the socket types): the application's, and medium tests' too.
 */
export function foundationModules(
  config: AppConfig,
  interactive: boolean,
): NonNullable<DynamicModule['imports']> {
  return [
    ConfigModule.forRoot(config),
    LifecycleModule,
    LoggingModule.forRoot(interactive),
    EventEmitterModule.forRoot(),
    DomainEventsModule,
    RedisModule,
    StorageModule,
    RateLimitModule,
    DatabaseModule,
    RealtimeModule,
  ];
}
