import { Injectable } from '@nestjs/common';
import { AuthService } from '../auth/auth.service.js';
import { AppConfig } from '../common/config/app-config.js';
import { Lifecycle } from '../common/lifecycle/lifecycle.js';
import { AppError } from '../common/errors/app-error.js';
import { originAllowed } from '../common/http/origins.js';
import { RateLimitService } from '../common/rate-limit/rate-limit.service.js';
import { rooms } from '../realtime/rooms.js';
import { SocketRouter } from '../realtime/socket-router.js';
import { PresenceService } from './presence.service.js';
import type { RelayServer, RelaySocket } from '../realtime/server-events.js';
import { MembershipRepository } from './membership.repository.js';

/**
 * Admission of a socket, before the client is told it is connected: its origin, its token (a
 * Relay access token or single-use ticket, or a host system's token), the rooms the database says
 * it belongs to, the user's socket limit (MAX_SOCKETS_PER_USER, across nodes) and the user's
 * budgets of client events. Refusals reach the client as `connect_error` with the code as message.
 */
@Injectable()
export class SocketHandshake {
  constructor(
    private readonly auth: AuthService,
    private readonly conversations: MembershipRepository,
    private readonly limits: RateLimitService,
    private readonly presence: PresenceService,
    private readonly router: SocketRouter,
    private readonly config: AppConfig,
    private readonly lifecycle: Lifecycle,
  ) {}

  install(server: RelayServer): void {
    server.use((socket, next) => {
      this.admit(socket).then(
        () => next(),
        (error: unknown) => next(error instanceof Error ? error : new Error('UNAUTHORIZED')),
      );
    });
  }

  private async admit(socket: RelaySocket): Promise<void> {
    if (this.lifecycle.draining) throw new Error('SERVICE_UNAVAILABLE');
    const origin = socket.handshake.headers.origin;
    if (origin && !originAllowed(this.config, origin)) throw new Error('FORBIDDEN_ORIGIN');
    const token: unknown = (socket.handshake.auth as Record<string, unknown> | undefined)?.token;
    if (typeof token !== 'string' || token.length === 0 || token.length > 4096)
      throw new Error('UNAUTHORIZED');
    try {
      socket.data.auth = await this.auth.authenticate(token, ['access', 'ws']);
    } catch (error) {
      // An identity provider that cannot be reached is not the client's fault: it may retry.
      const code =
        error instanceof AppError && error.code === 'SERVICE_UNAVAILABLE' ? error.code : 'UNAUTHORIZED';
      throw new Error(code, { cause: error });
    }
    const { userId, sessionId } = socket.data.auth;
    if (!(await this.presence.reserve(userId, socket.id, sessionId, this.config.limits.socketsPerUser))) {
      throw new Error('TOO_MANY_SOCKETS');
    }
    try {
      socket.use((packet, next) => this.guardFlood(socket, packet, next));
      const conversationIds = await this.conversations.conversationIdsOf(userId);
      await socket.join([
        rooms.user(userId),
        rooms.session(sessionId),
        ...conversationIds.map(rooms.conversation),
      ]);
    } catch (error) {
      await this.presence.disconnected(userId, socket.id);
      throw error;
    }
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
