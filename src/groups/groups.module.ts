import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { MessagingModule } from '../messaging/messaging.module.js';
import { OrgsModule } from '../orgs/orgs.module.js';
import { UsersModule } from '../users/users.module.js';
import { Group } from './group.entity.js';
import { GroupsController } from './groups.controller.js';
import { GroupsGateway } from './groups.gateway.js';
import { GroupsService } from './groups.service.js';

@Module({
  imports: [UsersModule, MessagingModule, OrgsModule, TypeOrmModule.forFeature([Group])],
  controllers: [GroupsController],
  providers: [GroupsService, GroupsGateway],
  exports: [GroupsService],
})
export class GroupsModule {}
