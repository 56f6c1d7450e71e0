import { Logger } from '@nestjs/common';
import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { validatePayload } from '../common/errors/validation.js';
import { type Ack, ack } from '../common/socket-ack.js';
import type { RelaySocket } from '../realtime/server-events.js';
import { GroupIdDto, TopicInviteDto } from './dto/group.dto.js';
import { GroupsService } from './groups.service.js';

/** Topic actions over Socket.IO, with the same rules as the REST routes. */
@WebSocketGateway()
export class GroupsGateway {
  private readonly logger = new Logger(GroupsGateway.name);

  constructor(private readonly groups: GroupsService) {}

  @SubscribeMessage('topic:subscribe')
  subscribe(@ConnectedSocket() socket: RelaySocket, @MessageBody() payload: unknown): Promise<Ack<object>> {
    return ack(this.logger, async () => {
      const dto = await validatePayload(GroupIdDto, payload);
      await this.groups.subscribe(socket.data.auth.userId, dto.groupId);
      return {};
    });
  }

  @SubscribeMessage('topic:unsubscribe')
  unsubscribe(@ConnectedSocket() socket: RelaySocket, @MessageBody() payload: unknown): Promise<Ack<object>> {
    return ack(this.logger, async () => {
      const dto = await validatePayload(GroupIdDto, payload);
      await this.groups.unsubscribe(socket.data.auth.userId, dto.groupId);
      return {};
    });
  }

  @SubscribeMessage('topic:invite')
  invite(@ConnectedSocket() socket: RelaySocket, @MessageBody() payload: unknown): Promise<Ack<object>> {
    return ack(this.logger, async () => {
      const dto = await validatePayload(TopicInviteDto, payload);
      await this.groups.invite(socket.data.auth.userId, dto.groupId, dto.userId);
      return {};
    });
  }
}
