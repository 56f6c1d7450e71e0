import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AdminModule } from './admin/admin.module.js';
import { AppsModule } from './apps/apps.module.js';
import { AuthModule } from './auth/auth.module.js';
import { AppConfig } from './common/config/app-config.js';
import { foundationModules } from './foundation.js';
import { AllExceptionsFilter } from './common/errors/all-exceptions.filter.js';
import { HealthModule } from './health/health.module.js';
import { GroupsModule } from './groups/groups.module.js';
import { MessagingModule } from './messaging/messaging.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { NotificationsModule } from './notifications/notifications.module.js';
import { OrgsModule } from './orgs/orgs.module.js';
import { ProvisioningModule } from './provisioning/provisioning.module.js';
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
        ...foundationModules(config, options.interactive ?? false),
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
