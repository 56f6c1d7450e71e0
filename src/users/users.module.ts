import { Module } from '@nestjs/common';
import { BlocksController } from './blocks.controller.js';
import { BlocksRepository } from './blocks.repository.js';
import { BlocksService } from './blocks.service.js';
import { FriendsController } from './friends.controller.js';
import { FriendsRepository } from './friends.repository.js';
import { FriendsService } from './friends.service.js';
import { InvitePageController } from './invite-page.controller.js';
import { InvitesController } from './invites.controller.js';
import { InvitesRepository } from './invites.repository.js';
import { InvitesService } from './invites.service.js';
import { UsersController } from './users.controller.js';
import { UsersRepository } from './users.repository.js';
import { UsersService } from './users.service.js';

@Module({
  controllers: [
    UsersController,
    InvitesController,
    InvitePageController,
    FriendsController,
    BlocksController,
  ],
  providers: [
    UsersRepository,
    FriendsRepository,
    BlocksRepository,
    InvitesRepository,
    UsersService,
    FriendsService,
    BlocksService,
    InvitesService,
  ],
  exports: [UsersService, FriendsService, BlocksService],
})
export class UsersModule {}
