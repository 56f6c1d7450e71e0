import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Block } from './block.entity.js';
import { BlocksController } from './blocks.controller.js';
import { BlocksService } from './blocks.service.js';
import { FriendRequest } from './friend-request.entity.js';
import { FriendsController } from './friends.controller.js';
import { FriendsService } from './friends.service.js';
import { Friendship } from './friendship.entity.js';
import { User } from './user.entity.js';
import { UsersController } from './users.controller.js';
import { UsersService } from './users.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([User, FriendRequest, Friendship, Block])],
  controllers: [UsersController, FriendsController, BlocksController],
  providers: [UsersService, FriendsService, BlocksService],
  exports: [UsersService, FriendsService, BlocksService],
})
export class UsersModule {}
