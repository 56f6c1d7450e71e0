import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Block } from './block.entity.js';
import { BlocksController } from './blocks.controller.js';
import { BlocksService } from './blocks.service.js';
import { FriendInvite } from './friend-invite.entity.js';
import { FriendRequest } from './friend-request.entity.js';
import { FriendsController } from './friends.controller.js';
import { FriendsService } from './friends.service.js';
import { Friendship } from './friendship.entity.js';
import { User } from './user.entity.js';
import { UsersController } from './users.controller.js';
import { UsersService } from './users.service.js';
import { InvitesController } from './invites.controller.js';
import { InvitesService } from './invites.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([User, FriendRequest, Friendship, Block, FriendInvite])],
  controllers: [UsersController, InvitesController, FriendsController, BlocksController],
  providers: [UsersService, FriendsService, BlocksService, InvitesService],
  exports: [UsersService, FriendsService, BlocksService],
})
export class UsersModule {}
