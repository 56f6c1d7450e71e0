import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { CacheService, type SharedCache } from '../common/cache/cache.service.js';
import { AppConfig } from '../common/config/app-config.js';
import { AppError } from '../common/errors/app-error.js';
import { DomainEventBus } from '../common/events/domain-events.js';
import type { UserRole } from '../users/user.entity.js';
import type { Session, SessionState } from './session.entity.js';
import { SessionsRepository } from './sessions.repository.js';
import { SessionRevokedEvent } from './events/session-revoked.event.js';
import { SessionStateChangedEvent } from './events/session-state-changed.event.js';
import { TokensService } from './tokens.service.js';

export interface DeviceInfo {
  deviceId?: string;
  platform?: string;
  name?: string;
}

export interface ClientInfo {
  ip?: string;
  userAgent?: string;
}

@Injectable()
export class SessionsService {
  /**
   * The Relay session of each host session (`userId:hostSessionKey` → session id), so that a host
   * token does not extend its session on every request; dropped on every node when a session of
   * the user is revoked.
   */
  private readonly externalSessions: SharedCache<string>;

  constructor(
    private readonly db: DataSource,
    private readonly sessions: SessionsRepository,
    private readonly tokens: TokensService,
    private readonly events: DomainEventBus,
    private readonly config: AppConfig,
    caches: CacheService,
  ) {
    this.externalSessions = caches.create({ name: 'host-sessions', max: 50_000, ttlMs: 30_000 });
  }

  /** Opens a session and its first refresh token in one transaction. */
  async open(
    userId: string,
    device: DeviceInfo | undefined,
    client: ClientInfo,
  ): Promise<{ session: Session; refreshToken: string }> {
    const refresh = this.tokens.newRefreshToken();
    return this.db.transaction(async (tx) => {
      const session = await this.sessions.insert(tx, {
        userId,
        deviceId: device?.deviceId ?? null,
        platform: device?.platform ?? null,
        deviceName: device?.name ?? null,
        ip: client.ip?.slice(0, 64) ?? null,
        userAgent: client.userAgent?.slice(0, 256) ?? null,
        expiresAt: this.refreshExpiry(),
      });
      await this.sessions.insertRefreshToken(tx, session.id, refresh.hash);
      return { session, refreshToken: refresh.token };
    });
  }

  /**
   * Spends a refresh token and issues the next one. A token that was already spent means it was
   * copied: the whole session is revoked.
   */
  async rotate(refreshToken: string): Promise<{ session: Session; refreshToken: string }> {
    const hash = this.tokens.hashRefreshToken(refreshToken);
    const next = this.tokens.newRefreshToken();
    type Outcome = { session: Session } | { reusedBy: string } | null;
    const outcome = await this.db.transaction(async (tx): Promise<Outcome> => {
      const sessionId = await this.sessions.spendRefreshToken(tx, hash);
      if (!sessionId) {
        const known = await this.sessions.findRefreshToken(tx, hash);
        return known ? { reusedBy: known.sessionId } : null;
      }
      const session = await this.sessions.findUnrevoked(tx, sessionId);
      if (!session || session.expiresAt.getTime() <= Date.now()) return null;
      session.lastUsedAt = new Date();
      session.expiresAt = this.refreshExpiry();
      await this.sessions.save(tx, session);
      await this.sessions.insertRefreshToken(tx, sessionId, next.hash);
      return { session };
    });
    if (outcome && 'reusedBy' in outcome) {
      await this.revoke(outcome.reusedBy, 'refresh_token_reuse');
      throw AppError.unauthorized('Refresh token was already used; the session has been revoked');
    }
    if (!outcome) throw AppError.unauthorized('Invalid or expired refresh token');
    return { session: outcome.session, refreshToken: next.token };
  }

  /**
   * The Relay session of a host session (tokens of a host system carry no Relay session): one per
   * user and host session id, extended while its tokens keep coming.
   */
  async forExternal(userId: string, hostSessionKey: string, tokenExpiresAt: Date): Promise<string> {
    return this.externalSessions.read(`${userId}:${hostSessionKey}`, async () => {
      const deviceId = `host:${hostSessionKey}`.slice(0, 128);
      const expiresAt = new Date(Math.max(tokenExpiresAt.getTime(), Date.now() + 60_000));
      return (
        (await this.sessions.extendHostSession(userId, deviceId, expiresAt)) ??
        (
          await this.sessions.insert(this.db, {
            userId,
            deviceId,
            platform: 'host',
            deviceName: 'Host system session',
            expiresAt,
          })
        ).id
      );
    });
  }

  /** True when the session exists, belongs to the user, is not revoked and has not expired. */
  /** The user's role (from the database) when the session is live and the account active; null otherwise. */
  liveRole(sessionId: string, userId: string): Promise<UserRole | null> {
    return this.sessions.liveRole(sessionId, userId);
  }

  async revoke(sessionId: string, reason: string): Promise<boolean> {
    const userId = await this.sessions.revoke(sessionId, reason);
    if (!userId) return false;
    this.announceRevoked([new SessionRevokedEvent(sessionId, userId, reason)]);
    return true;
  }

  /**
   * Revokes every live session of a user inside the caller's transaction (deactivation). Returns
   * what to announce with {@link announceRevoked} once it commits.
   */
  async revokeAllOf(tx: EntityManager, userId: string, reason: string): Promise<SessionRevokedEvent[]> {
    const ids = await this.sessions.revokeAllOf(tx, userId, reason);
    return ids.map((id) => new SessionRevokedEvent(id, userId, reason));
  }

  /** After revocations committed: forget cached host sessions, disconnect their sockets. */
  announceRevoked(revoked: SessionRevokedEvent[]): void {
    for (const e of revoked) {
      // The user's host sessions, whichever was revoked: the others are read again once.
      void this.externalSessions.invalidateWhere((key) => key.startsWith(`${e.userId}:`));
      this.events.emit(SessionRevokedEvent.event, e);
    }
  }

  listLive(userId: string): Promise<Session[]> {
    return this.sessions.listLive(userId, 100);
  }

  /** The caller's own live session, or NOT_FOUND (other users' sessions do not exist for them). */
  async getOwn(userId: string, sessionId: string): Promise<Session> {
    const session = await this.sessions.findUnrevoked(this.db, sessionId, userId);
    if (!session || session.expiresAt.getTime() <= Date.now()) throw AppError.notFound('Session');
    return session;
  }

  async setState(userId: string, sessionId: string, state: SessionState): Promise<Session> {
    const session = await this.getOwn(userId, sessionId);
    if (session.state !== state) {
      session.state = state;
      await this.sessions.setState(session.id, state);
      this.events.emit(
        SessionStateChangedEvent.event,
        new SessionStateChangedEvent(session.id, userId, state),
      );
    }
    return session;
  }

  async revokeOwn(userId: string, sessionId: string): Promise<void> {
    await this.getOwn(userId, sessionId);
    await this.revoke(sessionId, 'revoked_by_user');
  }

  /** Of the given sessions, the users of those that are live and marked active. */
  activeUsers(sessionIds: string[]): Promise<Set<string>> {
    return this.sessions.activeUsers(sessionIds);
  }

  /** The state of each of these sessions that is still live (others are absent). */
  statesOf(sessionIds: string[]): Promise<Map<string, SessionState>> {
    return this.sessions.statesOf(sessionIds);
  }

  countLive(): Promise<number> {
    return this.sessions.countLive();
  }

  private refreshExpiry(): Date {
    return new Date(Date.now() + this.config.jwt.refreshTtlSeconds * 1000);
  }
}
