import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { AdminModule } from './admin/admin.module.js';
import { AppsModule } from './apps/apps.module.js';
import { AuthModule } from './auth/auth.module.js';
import { AppConfig } from './common/config/app-config.js';
import { ConfigModule } from './common/config/config.module.js';
import { AllExceptionsFilter } from './common/errors/all-exceptions.filter.js';
import { DomainEventsModule } from './common/events/domain-events.module.js';
import { LifecycleModule } from './common/lifecycle/lifecycle.module.js';
import { LoggingModule } from './common/logging.js';
import { RateLimitModule } from './common/rate-limit/rate-limit.module.js';
import { RedisModule } from './common/redis/redis.module.js';
import { StorageModule } from './common/storage/storage.module.js';
import { DatabaseModule } from './database/database.module.js';
import { HealthModule } from './health/health.module.js';
import { GroupsModule } from './groups/groups.module.js';
import { MessagingModule } from './messaging/messaging.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { NotificationsModule } from './notifications/notifications.module.js';
import { OrgsModule } from './orgs/orgs.module.js';
import { ProvisioningModule } from './provisioning/provisioning.module.js';
import { RealtimeModule } from './realtime/realtime.module.js';
import { UpdatesModule } from './updates/updates.module.js';
import { UsersModule } from './users/users.module.js';

export interface AppOptions {
  /** Pretty, human-readable logs (an interactive terminal in development). */
  interactive?: boolean;
}

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, options: AppOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LifecycleModule,
        LoggingModule.forRoot(options.interactive ?? false),
        EventEmitterModule.forRoot(),
        DomainEventsModule,
        RedisModule,
        StorageModule,
        RateLimitModule,
        DatabaseModule,
        RealtimeModule,
        UsersModule,
        AuthModule,
        MessagingModule,
        OrgsModule,
        GroupsModule,
        AppsModule,
        NotificationsModule,
        UpdatesModule,
        ProvisioningModule,
        AdminModule,
        HealthModule,
        MetricsModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: AllExceptionsFilter }],
    };
  }
}
