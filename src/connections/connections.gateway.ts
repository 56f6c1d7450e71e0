import { type BeforeApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { OnDomainEvent } from '../common/events/domain-events.js';
import {
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
  WebSocketGateway,
} from '@nestjs/websockets';
import { AuthService } from '../auth/auth.service.js';
import { SessionRevokedEvent } from '../auth/events/session-revoked.event.js';
import { SessionsService } from '../auth/sessions.service.js';
import { AppConfig } from '../common/config/app-config.js';
import { AppError } from '../common/errors/app-error.js';
import { validatePayload } from '../common/errors/validation.js';
import { originAllowed } from '../common/http/origins.js';
import { Lifecycle } from '../common/lifecycle/lifecycle.js';
import { RateLimitService } from '../common/rate-limit/rate-limit.service.js';
import { rooms } from '../realtime/rooms.js';
import type { RelayServer, RelaySocket } from '../realtime/server-events.js';
import { SocketEmitter } from '../realtime/socket-emitter.js';
import { SocketRouter } from '../realtime/socket-router.js';
import { type Admission, AdmissionPipeline, refusal } from './admission.js';
import { CONNECTIONS_CLIENT_EVENTS } from './connections.socket-events.js';
import { AuthRefreshDto, SessionStateDto } from './dto/connections.dto.js';
import { PresenceNotifier } from './presence.notifier.js';
import { PresenceService } from './presence.service.js';
import { SocketLifetime } from './socket-lifetime.js';

/**
 * The socket transport: admission (this module's own steps: the node and the origin, the token,
 * the user's socket limit and event budgets, the user's and session's rooms; other modules add
 * theirs), a socket's lifetime and presence, the session's own events (`auth:refresh`,
 * `session:state`, `session:revoked`) and the drain at shutdown.
 */
@WebSocketGateway()
export class ConnectionsGateway
  implements
    OnGatewayInit<RelayServer>,
    OnGatewayConnection<RelaySocket>,
    OnGatewayDisconnect<RelaySocket>,
    OnModuleInit,
    BeforeApplicationShutdown
{
  constructor(
    private readonly admission: AdmissionPipeline,
    private readonly router: SocketRouter,
    private readonly emitter: SocketEmitter,
    private readonly auth: AuthService,
    private readonly sessions: SessionsService,
    private readonly limits: RateLimitService,
    private readonly presence: PresenceService,
    private readonly notifier: PresenceNotifier,
    private readonly lifetime: SocketLifetime,
    private readonly lifecycle: Lifecycle,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.admission.register('origin', 'node and origin', (a) => this.checkOrigin(a));
    this.admission.register('credentials', 'token', (a) => this.authenticate(a));
    this.admission.register('limits', 'sockets per user', (a) => this.reserveSocket(a));
    this.admission.register('rooms', 'user and session', async ({ socket }) => {
      const { userId, sessionId } = socket.data.auth;
      await socket.join([rooms.user(userId), rooms.session(sessionId)]);
    });
    this.router.register(CONNECTIONS_CLIENT_EVENTS, {
      'auth:refresh': async (socket, payload) => {
        const dto = await validatePayload(AuthRefreshDto, payload);
        return this.lifetime.refresh(socket, dto.token);
      },
      'session:state': async (socket, payload) => {
        const dto = await validatePayload(SessionStateDto, payload);
        await this.sessions.setState(socket.data.auth.userId, socket.data.auth.sessionId, dto.state);
        return {};
      },
    });
  }

  afterInit(server: RelayServer): void {
    this.admission.install(server);
  }

  handleConnection(socket: RelaySocket): Promise<void> {
    this.lifetime.arm(socket);
    return this.notifier.connected(socket);
  }

  handleDisconnect(socket: RelaySocket): Promise<void> {
    this.lifetime.disarm(socket);
    return this.notifier.disconnected(socket);
  }

  @OnDomainEvent(SessionRevokedEvent.event)
  onSessionRevoked(e: SessionRevokedEvent): void {
    this.emitter.toSession(e.sessionId, 'session:revoked', { sessionId: e.sessionId });
    this.emitter.disconnectSession(e.sessionId);
  }

  async beforeApplicationShutdown(): Promise<void> {
    // Draining: nothing new is admitted; what other modules must finish first (sends already
    // taken are stored and acked) gets at most half the shutdown budget.
    this.lifecycle.beginDrain();
    await this.lifecycle.settle(this.config.shutdownTimeoutMs / 2);
    await new Promise((resolve) => setImmediate(resolve));
    // Then tell this node's clients to come back (to another node, or to this one after the
    // restart): the connections drop at the transport, so their clients reconnect by themselves.
    this.emitter.toLocal('server:shutdown', { reconnect: true, retryAfterMs: 1000 });
    this.emitter.dropLocalConnections();
    await this.notifier.drain();
  }

  private checkOrigin({ socket }: Admission): void {
    if (this.lifecycle.draining) throw refusal('SERVICE_UNAVAILABLE');
    const origin = socket.handshake.headers.origin;
    if (origin && !originAllowed(this.config, origin)) throw refusal('FORBIDDEN_ORIGIN');
  }

  /** A Relay access token or single-use ticket, or a host system's token; a ticket refused later is not spent. */
  private async authenticate(admission: Admission): Promise<void> {
    const { socket } = admission;
    const token: unknown = (socket.handshake.auth as Record<string, unknown> | undefined)?.token;
    if (typeof token !== 'string' || token.length === 0 || token.length > 4096) throw refusal('UNAUTHORIZED');
    try {
      const { release, ...auth } = await this.auth.authenticateSocket(token);
      admission.hold(release);
      socket.data.auth = auth;
    } catch (error) {
      // An identity provider that cannot be reached is not the client's fault: it may retry.
      const code =
        error instanceof AppError && error.code === 'SERVICE_UNAVAILABLE' ? error.code : 'UNAUTHORIZED';
      throw refusal(code, error);
    }
  }

  /** MAX_SOCKETS_PER_USER across nodes, and the budgets every event of the socket counts against. */
  private async reserveSocket(admission: Admission): Promise<void> {
    const { socket } = admission;
    const { userId, sessionId } = socket.data.auth;
    if (!(await this.presence.reserve(userId, socket.id, sessionId, this.config.limits.socketsPerUser))) {
      throw refusal('TOO_MANY_SOCKETS');
    }
    admission.hold(() => this.presence.disconnected(userId, socket.id));
    socket.use((packet, next) => this.guardFlood(socket, packet, next));
  }

  /**
   * Every client event counts against its user's budget, shared by all of the user's sockets on
   * every node (in Redis when configured): expensive reads (`sync`) against one, everything else
   * against another. Past it, events are answered RATE_LIMITED (when they carry an ack) and
   * dropped, and the socket stays connected.
   */
  private guardFlood(socket: RelaySocket, packet: unknown[], next: (err?: Error) => void): void {
    const { socketEventsPer10s, socketReadsPer10s } = this.config.rateLimits;
    const read = typeof packet[0] === 'string' && this.router.isExpensive(packet[0]);
    const spec = read
      ? { name: 'socket-reads', points: socketReadsPer10s, windowSeconds: 10 }
      : { name: 'socket-events', points: socketEventsPer10s, windowSeconds: 10 };
    this.limits.consume(spec, socket.data.auth.userId).then(
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
}
