import { type BeforeApplicationShutdown, Logger, type OnModuleInit } from '@nestjs/common';
import {
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
  WebSocketGateway,
} from '@nestjs/websockets';
import { SessionsService } from '../auth/sessions.service.js';
import { AppConfig } from '../common/config/app-config.js';
import { Lifecycle } from '../common/lifecycle/lifecycle.js';
import { validatePayload } from '../common/errors/validation.js';
import { AppError } from '../common/errors/app-error.js';
import type { RelayServer, RelaySocket } from '../realtime/server-events.js';
import { SocketEmitter } from '../realtime/socket-emitter.js';
import { SocketRouter } from '../realtime/socket-router.js';
import { ConversationAccess } from './conversation-access.service.js';
import {
  ConversationSeqDto,
  MessageIdDto,
  SyncDto,
  type SyncResultDto,
  TypingDto,
} from './dto/conversation.dto.js';
import { type MessageDto, SendMessageDto } from './dto/message.dto.js';
import { AuthRefreshDto, EditMessageSocketDto, SessionStateDto } from './dto/socket.dto.js';
import { HistoryService } from './history.service.js';
import { MessageWriter } from './message-writer.js';
import { MessagesService } from './messages.service.js';
import { PresenceNotifier } from './presence.notifier.js';
import { ReceiptsService } from './receipts.service.js';
import { SocketHandshake } from './socket-handshake.js';
import { SocketLifetime } from './socket-lifetime.js';

/**
 * The Socket.IO edge of messaging: admission through {@link SocketHandshake}, presence through
 * {@link PresenceNotifier}, and messaging's client events registered with the {@link SocketRouter}.
 * What the server sends goes through {@link SocketEmitter}.
 */
@WebSocketGateway()
export class MessagingGateway
  implements
    OnGatewayInit<RelayServer>,
    OnGatewayConnection<RelaySocket>,
    OnGatewayDisconnect<RelaySocket>,
    OnModuleInit,
    BeforeApplicationShutdown
{
  private readonly logger = new Logger(MessagingGateway.name);

  constructor(
    private readonly router: SocketRouter,
    private readonly handshake: SocketHandshake,
    private readonly presence: PresenceNotifier,
    private readonly emitter: SocketEmitter,
    private readonly messages: MessagesService,
    private readonly history: HistoryService,
    private readonly receipts: ReceiptsService,
    private readonly access: ConversationAccess,
    private readonly sessions: SessionsService,
    private readonly lifetime: SocketLifetime,
    private readonly writer: MessageWriter,
    private readonly lifecycle: Lifecycle,
    private readonly config: AppConfig,
  ) {}

  afterInit(server: RelayServer): void {
    this.handshake.install(server);
  }

  handleConnection(socket: RelaySocket): Promise<void> {
    this.lifetime.arm(socket);
    return this.presence.connected(socket);
  }

  handleDisconnect(socket: RelaySocket): Promise<void> {
    this.lifetime.disarm(socket);
    return this.presence.disconnected(socket);
  }

  async beforeApplicationShutdown(): Promise<void> {
    // Draining: nothing new is admitted; sends already taken are stored and acked first (for at
    // most half the shutdown budget).
    this.lifecycle.beginDrain();
    if (!(await this.writer.idle(this.config.shutdownTimeoutMs / 2)))
      this.logger.warn({ pending: this.writer.pending }, 'sends still in flight at shutdown');
    await new Promise((resolve) => setImmediate(resolve));
    // Then tell this node's clients to come back (to another node, or to this one after the
    // restart): the connections drop at the transport, so their clients reconnect by themselves.
    this.emitter.toLocal('server:shutdown', { reconnect: true, retryAfterMs: 1000 });
    this.emitter.dropLocalConnections();
    await this.presence.drain();
  }

  /** The client events of messaging, each validated and handed to the service REST uses too. */
  onModuleInit(): void {
    this.router.handle('message:send', (socket, payload) => this.send(socket, payload));
    this.router.handle('message:edit', async (socket, payload) => {
      const dto = await validatePayload(EditMessageSocketDto, payload);
      return this.messages.edit(socket.data.auth.userId, dto.messageId, dto.body);
    });
    this.router.handle('message:delete', async (socket, payload) => {
      const dto = await validatePayload(MessageIdDto, payload);
      await this.messages.delete(socket.data.auth.userId, dto.messageId);
      return {};
    });
    this.router.handle('conversation:read', async (socket, payload) => {
      const dto = await validatePayload(ConversationSeqDto, payload);
      await this.receipts.markRead(socket.data.auth.userId, dto.conversationId, dto.seq);
      return {};
    });
    this.router.handle('conversation:delivered', async (socket, payload) => {
      const dto = await validatePayload(ConversationSeqDto, payload);
      await this.receipts.markDelivered(socket.data.auth.userId, dto.conversationId, dto.seq);
      return {};
    });
    this.router.handle('typing', (socket, payload) => this.typing(socket, payload));
    this.router.handle('sync', async (socket, payload): Promise<SyncResultDto> => {
      const dto = await validatePayload(SyncDto, payload ?? {});
      return this.history.syncFor(socket.data.auth.userId, dto);
    });
    this.router.handle('auth:refresh', async (socket, payload) => {
      const dto = await validatePayload(AuthRefreshDto, payload);
      return this.lifetime.refresh(socket, dto.token);
    });
    this.router.handle('session:state', async (socket, payload) => {
      const dto = await validatePayload(SessionStateDto, payload);
      await this.sessions.setState(socket.data.auth.userId, socket.data.auth.sessionId, dto.state);
      return {};
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
