import { Module } from '@nestjs/common';
import { ConnectionsModule } from '../connections/connections.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { MessagingModule } from '../messaging/messaging.module.js';
import { OrgsModule } from '../orgs/orgs.module.js';
import { UsersModule } from '../users/users.module.js';
import { AdminController } from './admin.controller.js';
import { AdminStatsService } from './admin-stats.service.js';

@Module({
  imports: [ConnectionsModule, UsersModule, AuthModule, MessagingModule, OrgsModule],
  controllers: [AdminController],
  providers: [AdminStatsService],
})
export class AdminModule {}
