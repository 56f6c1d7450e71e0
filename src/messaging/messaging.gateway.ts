import { type OnModuleInit } from '@nestjs/common';
import { WebSocketGateway } from '@nestjs/websockets';
import { AdmissionPipeline } from '../connections/admission.js';
import { validatePayload } from '../common/errors/validation.js';
import { AppError } from '../common/errors/app-error.js';
import { rooms } from '../realtime/rooms.js';
import type { RelaySocket } from '../realtime/server-events.js';
import { SocketEmitter } from '../realtime/socket-emitter.js';
import { SocketRouter } from '../realtime/socket-router.js';
import { ConversationAccess } from './conversation-access.service.js';
import { MembershipRepository } from './membership.repository.js';
import {
  ConversationSeqDto,
  MessageIdDto,
  SyncDto,
  type SyncResultDto,
  TypingDto,
} from './dto/conversation.dto.js';
import { type MessageDto, SendMessageDto } from './dto/message.dto.js';
import { EditMessageSocketDto } from './dto/socket.dto.js';
import { HistoryService } from './history.service.js';
import { MessagesService } from './messages.service.js';
import { MESSAGING_CLIENT_EVENTS } from './messaging.socket-events.js';
import { ReceiptsService } from './receipts.service.js';

/**
 * The Socket.IO edge of messaging: its step of socket admission (the rooms of the user's
 * conversations) and its client events, registered with the {@link SocketRouter}. What the server
 * sends goes through {@link SocketEmitter}.
 */
@WebSocketGateway()
export class MessagingGateway implements OnModuleInit {
  constructor(
    private readonly router: SocketRouter,
    private readonly admission: AdmissionPipeline,
    private readonly emitter: SocketEmitter,
    private readonly messages: MessagesService,
    private readonly history: HistoryService,
    private readonly receipts: ReceiptsService,
    private readonly access: ConversationAccess,
    private readonly membership: MembershipRepository,
  ) {}

  /** The client events of messaging, each validated and handed to the service REST uses too. */
  onModuleInit(): void {
    this.admission.register('rooms', 'conversations', async ({ socket }) => {
      const conversationIds = await this.membership.conversationIdsOf(socket.data.auth.userId);
      await socket.join(conversationIds.map(rooms.conversation));
    });
    this.router.register(MESSAGING_CLIENT_EVENTS, {
      'message:send': (socket, payload) => this.send(socket, payload),
      'message:edit': async (socket, payload) => {
        const dto = await validatePayload(EditMessageSocketDto, payload);
        return this.messages.edit(socket.data.auth.userId, dto.messageId, dto.body);
      },
      'message:delete': async (socket, payload) => {
        const dto = await validatePayload(MessageIdDto, payload);
        await this.messages.delete(socket.data.auth.userId, dto.messageId);
        return {};
      },
      'conversation:read': async (socket, payload) => {
        const dto = await validatePayload(ConversationSeqDto, payload);
        await this.receipts.markRead(socket.data.auth.userId, dto.conversationId, dto.seq);
        return {};
      },
      'conversation:delivered': async (socket, payload) => {
        const dto = await validatePayload(ConversationSeqDto, payload);
        await this.receipts.markDelivered(socket.data.auth.userId, dto.conversationId, dto.seq);
        return {};
      },
      typing: (socket, payload) => this.typing(socket, payload),
      sync: async (socket, payload): Promise<SyncResultDto> => {
        const dto = await validatePayload(SyncDto, payload ?? {});
        return this.history.syncFor(socket.data.auth.userId, dto);
      },
    });
  }

  private async send(socket: RelaySocket, payload: unknown): Promise<MessageDto> {
    // The common shape skips class-validator; anything else gets its full checks and messages.
    const dto = SendMessageDto.parseSimple(payload) ?? (await validatePayload(SendMessageDto, payload));
    if (!dto.clientMsgId) {
      throw AppError.validation('clientMsgId is required on sockets', {
        fields: [{ field: 'clientMsgId', problems: ['is required'] }],
      });
    }
    const sent = await this.messages.send({ userId: socket.data.auth.userId, socketId: socket.id }, dto);
    return sent.message;
  }

  private async typing(socket: RelaySocket, payload: unknown): Promise<Record<string, never>> {
    const dto = await validatePayload(TypingDto, payload);
    const { userId } = socket.data.auth;
    const [, blocked] = await Promise.all([
      this.access.require(userId, dto.conversationId, 'read'),
      this.access.blockedEitherWay(userId),
    ]);
    // Not to the typist's own devices, and not between users who blocked each other.
    this.emitter.toConversation(
      dto.conversationId,
      'typing',
      { conversationId: dto.conversationId, userId, typing: dto.typing },
      [userId, ...blocked],
    );
    return {};
  }
}
