import { Injectable, type OnModuleInit } from '@nestjs/common';
import { validatePayload } from '../common/errors/validation.js';
import { SocketRouter } from '../realtime/socket-router.js';
import { GroupIdDto, TopicInviteDto } from './dto/group.dto.js';
import { GroupsService } from './groups.service.js';
import { GROUPS_CLIENT_EVENTS } from './groups.socket-events.js';

/** Topic actions over Socket.IO, with the same rules as the REST routes. */
@Injectable()
export class GroupsGateway implements OnModuleInit {
  constructor(
    private readonly router: SocketRouter,
    private readonly groups: GroupsService,
  ) {}

  onModuleInit(): void {
    this.router.register(GROUPS_CLIENT_EVENTS, {
      'topic:subscribe': async (socket, payload) => {
        const dto = await validatePayload(GroupIdDto, payload);
        await this.groups.subscribe(socket.data.auth.userId, dto.groupId);
        return {};
      },
      'topic:unsubscribe': async (socket, payload) => {
        const dto = await validatePayload(GroupIdDto, payload);
        await this.groups.unsubscribe(socket.data.auth.userId, dto.groupId);
        return {};
      },
      'topic:invite': async (socket, payload) => {
        const dto = await validatePayload(TopicInviteDto, payload);
        await this.groups.invite(socket.data.auth.userId, dto.groupId, dto.userId);
        return {};
      },
    });
  }
}
