import { Module } from '@nestjs/common';
import { ConnectionsModule } from '../connections/connections.module.js';
import { AppsModule } from '../apps/apps.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { MessagingModule } from '../messaging/messaging.module.js';
import { UsersModule } from '../users/users.module.js';
import { ActiveUsers } from './active-users.js';
import { JobQueue } from './job-queue.js';
import { NotificationDecider } from './notification-decider.js';
import { NotificationPlanner } from './notification-planner.js';
import { NotificationSettingsService } from './notification-settings.service.js';
import { NotificationStateRepository } from './notification-state.repository.js';
import { NotificationsController } from './notifications.controller.js';
import { ApnsProvider } from './providers/apns.provider.js';
import { DeliveryProviders } from './providers/delivery-providers.js';
import { FcmProvider } from './providers/fcm.provider.js';
import { WebhookProvider } from './providers/webhook.provider.js';
import { WebPushProvider } from './providers/web-push.provider.js';
import { PushDelivery } from './push-delivery.js';
import { PushSubscriptionsRepository } from './push-subscriptions.repository.js';
import { PushSubscriptionsService } from './push-subscriptions.service.js';
import { VapidKeys } from './vapid-keys.js';

/**
 * Offline push: subscriptions and settings (REST), notification windows planned from messaging's
 * events, decided and delivered by durable jobs. Messaging never calls this module.
 */
@Module({
  imports: [ConnectionsModule, UsersModule, AuthModule, MessagingModule, AppsModule],
  controllers: [NotificationsController],
  providers: [
    JobQueue,
    NotificationStateRepository,
    PushSubscriptionsRepository,
    PushSubscriptionsService,
    NotificationSettingsService,
    VapidKeys,
    ActiveUsers,
    NotificationPlanner,
    NotificationDecider,
    WebPushProvider,
    ApnsProvider,
    FcmProvider,
    WebhookProvider,
    DeliveryProviders,
    PushDelivery,
  ],
  exports: [JobQueue],
})
export class NotificationsModule {}
