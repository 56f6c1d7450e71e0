import { Module } from '@nestjs/common';
import { MessagingModule } from '../messaging/messaging.module.js';
import { OrgsModule } from '../orgs/orgs.module.js';
import { UsersModule } from '../users/users.module.js';
import { GroupsController } from './groups.controller.js';
import { GroupsGateway } from './groups.gateway.js';
import { GroupsRepository } from './groups.repository.js';
import { GroupsService } from './groups.service.js';

@Module({
  imports: [UsersModule, MessagingModule, OrgsModule],
  controllers: [GroupsController],
  providers: [GroupsRepository, GroupsService, GroupsGateway],
  exports: [GroupsService],
})
export class GroupsModule {}
