import { type BeforeApplicationShutdown, Logger, type OnModuleInit } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import {
  ConnectedSocket,
  MessageBody,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
} from '@nestjs/websockets';
import type { DefaultEventsMap, Server, Socket } from 'socket.io';
import { AuthService } from '../auth/auth.service.js';
import { SessionRevokedEvent, SessionsService } from '../auth/sessions.service.js';
import { AppConfig } from '../common/config/app-config.js';
import { AppError } from '../common/errors/app-error.js';
import { loggable } from '../common/errors/all-exceptions.filter.js';
import { validatePayload } from '../common/errors/validation.js';
import { originAllowed } from '../common/http/origins.js';
import { RateLimitService } from '../common/rate-limit/rate-limit.service.js';
import { ClusterBus } from '../common/redis/cluster-bus.js';
import { type Ack, ack } from '../common/socket-ack.js';
import { FriendsService } from '../users/friends.service.js';
import { UsersService } from '../users/users.service.js';
import { ConversationSequencer } from './conversation-sequencer.js';
import { ConversationsService } from './conversations.service.js';
import { ConversationSeqDto, MessageIdDto, SyncDto, TypingDto } from './dto/conversation.dto.js';
import type { MessageDto } from './dto/message.dto.js';
import { SendMessageDto } from './dto/message.dto.js';
import { EditMessageSocketDto, SessionStateDto } from './dto/socket.dto.js';
import { MessagesService } from './messages.service.js';
import {
  ConversationJoinedEvent,
  ConversationLeftEvent,
  MessageChangedEvent,
  MessageCreatedEvent,
  ReceiptEvent,
} from './messaging.events.js';
import { PresenceService } from './presence.service.js';
import type { ServerEvents, SocketData } from './socket-events.js';

type RelayServer = Server<DefaultEventsMap, ServerEvents, DefaultEventsMap, SocketData>;
type RelaySocket = Socket<DefaultEventsMap, ServerEvents, DefaultEventsMap, SocketData>;

/** What travels between nodes on the bus: durable-message fan-out and cache invalidation. */
type BusMessage =
  | { kind: 'created'; message: MessageDto; memberIds: string[]; origin: string | null }
  | { kind: 'updated' | 'deleted'; message: MessageDto; memberIds: string[] }
  | { kind: 'membership'; conversationId: string };

const BUS_CHANNEL = 'messaging';
const userRoom = (id: string) => `user:${id}`;
const sessionRoom = (id: string) => `session:${id}`;
const convRoom = (id: string) => `conv:${id}`;

/**
 * The Socket.IO edge. Authenticates the handshake, puts each socket in the rooms the database says
 * it belongs to, turns client events into calls of the same services REST uses, and delivers
 * domain events. Durable messages go to the members' user rooms (in seq order, via the bus);
 * ephemeral ones (typing, receipts) to conversation rooms.
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
  @WebSocketServer() private readonly server!: RelayServer;
  private readonly logger = new Logger(MessagingGateway.name);
  private readonly sequencer = new ConversationSequencer();
  /** Disconnect bookkeeping still running; shutdown waits for it before Redis and the database close. */
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly auth: AuthService,
    private readonly sessions: SessionsService,
    private readonly messages: MessagesService,
    private readonly conversations: ConversationsService,
    private readonly presence: PresenceService,
    private readonly friends: FriendsService,
    private readonly users: UsersService,
    private readonly bus: ClusterBus,
    private readonly limits: RateLimitService,
    private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.bus.subscribe(BUS_CHANNEL, (payload) => this.onBus(payload as BusMessage));
  }

  afterInit(server: RelayServer): void {
    server.use((socket, next) => {
      this.admit(socket).then(
        () => next(),
        (error: unknown) => next(error instanceof Error ? error : new Error('UNAUTHORIZED')),
      );
    });
  }

  /** Handshake: origin, token, then the rooms, before the client is told it is connected. */
  private async admit(socket: RelaySocket): Promise<void> {
    const origin = socket.handshake.headers.origin;
    if (origin && !originAllowed(this.config, origin)) throw new Error('FORBIDDEN_ORIGIN');
    const token: unknown = (socket.handshake.auth as Record<string, unknown> | undefined)?.token;
    if (typeof token !== 'string' || token.length === 0 || token.length > 4096)
      throw new Error('UNAUTHORIZED');
    try {
      socket.data.auth = await this.auth.authenticate(token, ['access', 'ws']);
    } catch {
      throw new Error('UNAUTHORIZED');
    }
    const { userId, sessionId } = socket.data.auth;
    socket.use((packet, next) => this.guardFlood(socket, packet, next));
    const conversationIds = await this.conversations.conversationIdsOf(userId);
    await socket.join([userRoom(userId), sessionRoom(sessionId), ...conversationIds.map(convRoom)]);
    const expiresAt = (socket.data.auth as { expiresAt?: number }).expiresAt;
    if (expiresAt !== undefined) {
      // A host system's token: the socket lives as long as the token would.
      const timer = setTimeout(() => socket.disconnect(true), Math.max(0, expiresAt - Date.now()));
      timer.unref();
      socket.once('disconnect', () => clearTimeout(timer));
    }
  }

  /**
   * Every client event counts against a per-socket budget; past it, events are answered
   * RATE_LIMITED (when they carry an ack) and dropped, and the socket stays connected.
   */
  private guardFlood(socket: RelaySocket, packet: unknown[], next: (err?: Error) => void): void {
    const spec = {
      name: 'socket-events',
      points: this.config.rateLimits.socketEventsPer10s,
      windowSeconds: 10,
    };
    this.limits.consume(spec, socket.id).then(
      () => next(),
      (error: unknown) => {
        const callback = packet[packet.length - 1];
        if (typeof callback === 'function') {
          const body =
            error instanceof AppError ? error.toBody() : { code: 'RATE_LIMITED', message: 'Too many events' };
          (callback as (a: unknown) => void)({ ok: false, error: body });
        }
      },
    );
  }

  async handleConnection(socket: RelaySocket): Promise<void> {
    const auth = socket.data.auth;
    if (!auth) return;
    try {
      if (await this.presence.connected(auth.userId, socket.id, auth.sessionId))
        await this.announce(auth.userId, true, new Date());
    } catch (error) {
      this.logger.warn({ err: loggable(error) }, 'presence update on connect failed');
    }
  }

  handleDisconnect(socket: RelaySocket): Promise<void> {
    const work = this.leave(socket).finally(() => this.pending.delete(work));
    this.pending.add(work);
    return work;
  }

  private async leave(socket: RelaySocket): Promise<void> {
    const auth = socket.data.auth;
    if (!auth) return;
    try {
      if (await this.presence.disconnected(auth.userId, socket.id)) {
        const lastSeenAt = await this.users.touchLastSeen(auth.userId);
        await this.announce(auth.userId, false, lastSeenAt);
      }
    } catch (error) {
      this.logger.warn({ err: loggable(error) }, 'presence update on disconnect failed');
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    // Tell this node's clients to come back (to another node, or to this one after the restart).
    this.server?.local.emit('server:shutdown', { reconnect: true, retryAfterMs: 1000 });
    this.server?.local.disconnectSockets(true);
    await Promise.allSettled([...this.pending]);
  }

  @SubscribeMessage('message:send')
  onSend(@ConnectedSocket() socket: RelaySocket, @MessageBody() payload: unknown): Promise<Ack<MessageDto>> {
    return this.ack(async () => {
      const dto = await validatePayload(SendMessageDto, payload);
      if (!dto.clientMsgId) {
        throw AppError.validation('clientMsgId is required on sockets', {
          fields: [{ field: 'clientMsgId', problems: ['is required'] }],
        });
      }
      return (await this.messages.send({ userId: socket.data.auth.userId, socketId: socket.id }, dto))
        .message;
    });
  }

  @SubscribeMessage('message:edit')
  onEdit(@ConnectedSocket() socket: RelaySocket, @MessageBody() payload: unknown): Promise<Ack<MessageDto>> {
    return this.ack(async () => {
      const dto = await validatePayload(EditMessageSocketDto, payload);
      return this.messages.edit(socket.data.auth.userId, dto.messageId.toLowerCase(), dto.body);
    });
  }

  @SubscribeMessage('message:delete')
  onDelete(@ConnectedSocket() socket: RelaySocket, @MessageBody() payload: unknown): Promise<Ack<object>> {
    return this.ack(async () => {
      const dto = await validatePayload(MessageIdDto, payload);
      await this.messages.delete(socket.data.auth.userId, dto.messageId.toLowerCase());
      return {};
    });
  }

  @SubscribeMessage('conversation:read')
  onRead(@ConnectedSocket() socket: RelaySocket, @MessageBody() payload: unknown): Promise<Ack<object>> {
    return this.ack(async () => {
      const dto = await validatePayload(ConversationSeqDto, payload);
      await this.conversations.markRead(socket.data.auth.userId, dto.conversationId.toLowerCase(), dto.seq);
      return {};
    });
  }

  @SubscribeMessage('conversation:delivered')
  onDelivered(@ConnectedSocket() socket: RelaySocket, @MessageBody() payload: unknown): Promise<Ack<object>> {
    return this.ack(async () => {
      const dto = await validatePayload(ConversationSeqDto, payload);
      await this.conversations.markDelivered(
        socket.data.auth.userId,
        dto.conversationId.toLowerCase(),
        dto.seq,
      );
      return {};
    });
  }

  @SubscribeMessage('typing')
  onTyping(@ConnectedSocket() socket: RelaySocket, @MessageBody() payload: unknown): Promise<Ack<object>> {
    return this.ack(async () => {
      const dto = await validatePayload(TypingDto, payload);
      const { userId } = socket.data.auth;
      const conversationId = dto.conversationId.toLowerCase();
      await this.conversations.requireMember(conversationId, userId);
      socket
        .to(convRoom(conversationId))
        .except(userRoom(userId))
        .emit('typing', { conversationId, userId, typing: dto.typing });
      return {};
    });
  }

  @SubscribeMessage('sync')
  onSync(@ConnectedSocket() socket: RelaySocket, @MessageBody() payload: unknown) {
    return this.ack(async () => {
      const dto = await validatePayload(SyncDto, payload ?? {});
      return this.messages.syncFor(socket.data.auth.userId, dto);
    });
  }

  @SubscribeMessage('session:state')
  onSessionState(
    @ConnectedSocket() socket: RelaySocket,
    @MessageBody() payload: unknown,
  ): Promise<Ack<object>> {
    return this.ack(async () => {
      const dto = await validatePayload(SessionStateDto, payload);
      await this.sessions.setState(socket.data.auth.userId, socket.data.auth.sessionId, dto.state);
      return {};
    });
  }

  @OnEvent(MessageCreatedEvent.event)
  async onMessageCreated(e: MessageCreatedEvent): Promise<void> {
    await this.publish({
      kind: 'created',
      message: e.message,
      memberIds: e.memberIds,
      origin: e.originSocketId,
    });
  }

  @OnEvent(MessageChangedEvent.event)
  async onMessageChanged(e: MessageChangedEvent): Promise<void> {
    await this.publish({ kind: e.kind, message: e.message, memberIds: e.memberIds });
  }

  @OnEvent(ConversationJoinedEvent.event)
  async onJoined(e: ConversationJoinedEvent): Promise<void> {
    await this.publish({ kind: 'membership', conversationId: e.conversationId });
    if (e.userIds.length === 0) return; // An empty room list would address every socket.
    const rooms = e.userIds.map(userRoom);
    this.server.in(rooms).socketsJoin(convRoom(e.conversationId));
    const ref = await this.conversations.ref(e.conversationId);
    if (ref) this.server.to(rooms).emit('conversation:joined', { id: ref.id, type: ref.type });
  }

  @OnEvent(ConversationLeftEvent.event)
  async onLeft(e: ConversationLeftEvent): Promise<void> {
    await this.publish({ kind: 'membership', conversationId: e.conversationId });
    if (e.userIds.length === 0) return;
    const rooms = e.userIds.map(userRoom);
    this.server.in(rooms).socketsLeave(convRoom(e.conversationId));
    this.server.to(rooms).emit('conversation:left', { conversationId: e.conversationId });
  }

  @OnEvent(ReceiptEvent.event)
  onReceipt(e: ReceiptEvent): void {
    this.server.to(convRoom(e.conversationId)).emit('receipt', {
      conversationId: e.conversationId,
      userId: e.userId,
      ...(e.deliveredSeq !== undefined ? { deliveredSeq: e.deliveredSeq } : {}),
      ...(e.readSeq !== undefined ? { readSeq: e.readSeq } : {}),
    });
  }

  @OnEvent(SessionRevokedEvent.event)
  onSessionRevoked(e: SessionRevokedEvent): void {
    this.server.to(sessionRoom(e.sessionId)).emit('session:revoked', { sessionId: e.sessionId });
    this.server.in(sessionRoom(e.sessionId)).disconnectSockets(true);
  }

  /** Runs on every node for every bus message, the publishing node included. */
  private onBus(m: BusMessage): void {
    switch (m.kind) {
      case 'created':
        this.sequencer.push(m.message.conversationId, m.message.seq, () => {
          const to = this.toLocalUsers(m.memberIds);
          (m.origin ? to?.except(m.origin) : to)?.emit('message:new', m.message);
        });
        return;
      case 'updated':
        this.toLocalUsers(m.memberIds)?.emit('message:updated', m.message);
        return;
      case 'deleted':
        this.toLocalUsers(m.memberIds)?.emit('message:deleted', m.message);
        return;
      case 'membership':
        this.conversations.forgetMembers(m);
        return;
    }
  }

  /** This node's sockets of these users; null for nobody (an empty room list would mean everyone). */
  private toLocalUsers(userIds: string[]) {
    return userIds.length === 0 ? null : this.server.local.to(userIds.map(userRoom));
  }

  private async publish(m: BusMessage): Promise<void> {
    try {
      await this.bus.publish(BUS_CHANNEL, m);
    } catch (error) {
      this.logger.error({ err: loggable(error) }, 'bus publish failed');
    }
  }

  private async announce(userId: string, online: boolean, lastSeenAt: Date | null): Promise<void> {
    const friendIds = await this.friends.friendIdsOf(userId);
    if (friendIds.length === 0) return;
    this.server
      .to(friendIds.map(userRoom))
      .emit('presence', { userId, online, lastSeenAt: lastSeenAt?.toISOString() ?? null });
  }

  private ack<T>(fn: () => Promise<T>): Promise<Ack<T>> {
    return ack(this.logger, fn);
  }
}
