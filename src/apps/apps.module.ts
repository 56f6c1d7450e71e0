import { Module } from '@nestjs/common';
import { ConnectionsModule } from '../connections/connections.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { GroupsModule } from '../groups/groups.module.js';
import { MessagingModule } from '../messaging/messaging.module.js';
import { OrgsModule } from '../orgs/orgs.module.js';
import { UsersModule } from '../users/users.module.js';
import { AppChannelPolicy } from './app-channel.policy.js';
import { AppChannelsService } from './app-channels.service.js';
import { AppsController } from './apps.controller.js';
import { AppsRepository } from './apps.repository.js';
import { AppsService } from './apps.service.js';

@Module({
  imports: [ConnectionsModule, UsersModule, AuthModule, MessagingModule, OrgsModule, GroupsModule],
  controllers: [AppsController],
  providers: [AppsRepository, AppChannelsService, AppChannelPolicy, AppsService],
  exports: [AppsService],
})
export class AppsModule {}
