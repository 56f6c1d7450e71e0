import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth/auth.module.js';
import { GroupsModule } from '../groups/groups.module.js';
import { MessagingModule } from '../messaging/messaging.module.js';
import { OrgsModule } from '../orgs/orgs.module.js';
import { UsersModule } from '../users/users.module.js';
import { App, AppMute } from './app.entity.js';
import { AppsController } from './apps.controller.js';
import { AppsService } from './apps.service.js';

@Module({
  imports: [
    UsersModule,
    AuthModule,
    MessagingModule,
    OrgsModule,
    GroupsModule,
    TypeOrmModule.forFeature([App, AppMute]),
  ],
  controllers: [AppsController],
  providers: [AppsService],
})
export class AppsModule {}
