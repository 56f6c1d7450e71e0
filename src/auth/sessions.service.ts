import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, type EntityManager, IsNull, Repository } from 'typeorm';
import { AppConfig } from '../common/config/app-config.js';
import { queryRows } from '../database/sql.js';
import { AppError } from '../common/errors/app-error.js';
import { RefreshToken } from './refresh-token.entity.js';
import { Session, type SessionState } from './session.entity.js';
import { SessionRevokedEvent } from './events/session-revoked.event.js';
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
  private readonly externalSessions = new Map<string, { id: string; until: number }>();

  constructor(
    @InjectRepository(Session) private readonly sessions: Repository<Session>,
    private readonly dataSource: DataSource,
    private readonly tokens: TokensService,
    private readonly events: EventEmitter2,
    private readonly config: AppConfig,
  ) {}

  /** Opens a session and its first refresh token in one transaction. */
  async open(
    userId: string,
    device: DeviceInfo | undefined,
    client: ClientInfo,
  ): Promise<{ session: Session; refreshToken: string }> {
    const refresh = this.tokens.newRefreshToken();
    return this.dataSource.transaction(async (tx) => {
      const session = await tx.getRepository(Session).save(
        tx.getRepository(Session).create({
          userId,
          deviceId: device?.deviceId ?? null,
          platform: device?.platform ?? null,
          deviceName: device?.name ?? null,
          ip: client.ip?.slice(0, 64) ?? null,
          userAgent: client.userAgent?.slice(0, 256) ?? null,
          expiresAt: this.refreshExpiry(),
        }),
      );
      await tx.getRepository(RefreshToken).insert({ sessionId: session.id, tokenHash: refresh.hash });
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
    const outcome = await this.dataSource.transaction(async (tx): Promise<Outcome> => {
      const spent = await queryRows<{ session_id: string }>(
        tx,
        `UPDATE refresh_tokens SET spent_at = now() WHERE token_hash = $1 AND spent_at IS NULL RETURNING session_id`,
        [hash],
      );
      const sessionId = spent[0]?.session_id;
      if (!sessionId) {
        const known = await tx.getRepository(RefreshToken).findOne({ where: { tokenHash: hash } });
        return known ? { reusedBy: known.sessionId } : null;
      }
      const session = await tx
        .getRepository(Session)
        .findOne({ where: { id: sessionId, revokedAt: IsNull() } });
      if (!session || session.expiresAt.getTime() <= Date.now()) return null;
      session.lastUsedAt = new Date();
      session.expiresAt = this.refreshExpiry();
      await tx.getRepository(Session).save(session);
      await tx.getRepository(RefreshToken).insert({ sessionId, tokenHash: next.hash });
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
    const cacheKey = `${userId}:${hostSessionKey}`;
    const cached = this.externalSessions.get(cacheKey);
    if (cached && cached.until > Date.now()) return cached.id;
    const deviceId = `host:${hostSessionKey}`.slice(0, 128);
    const expiresAt = new Date(Math.max(tokenExpiresAt.getTime(), Date.now() + 60_000));
    const [existing] = await queryRows<{ id: string }>(
      this.dataSource,
      `UPDATE sessions SET expires_at = GREATEST(expires_at, $3), last_used_at = now()
        WHERE id = (SELECT id FROM sessions WHERE user_id = $1 AND device_id = $2 AND platform = 'host' AND revoked_at IS NULL
                    ORDER BY created_at DESC LIMIT 1)
        RETURNING id`,
      [userId, deviceId, expiresAt],
    );
    const id =
      existing?.id ??
      (
        await this.sessions.save(
          this.sessions.create({
            userId,
            deviceId,
            platform: 'host',
            deviceName: 'Host system session',
            expiresAt,
          }),
        )
      ).id;
    this.externalSessions.set(cacheKey, { id, until: Date.now() + 30_000 });
    if (this.externalSessions.size > 50_000)
      this.externalSessions.delete(this.externalSessions.keys().next().value as string);
    return id;
  }

  /** True when the session exists, belongs to the user, is not revoked and has not expired. */
  async isLive(sessionId: string, userId: string): Promise<boolean> {
    const rows = await queryRows<unknown>(
      this.dataSource,
      `SELECT 1 FROM sessions WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > now()`,
      [sessionId, userId],
    );
    return rows.length > 0;
  }

  async revoke(sessionId: string, reason: string): Promise<boolean> {
    const rows = await queryRows<{ user_id: string }>(
      this.dataSource,
      `UPDATE sessions SET revoked_at = now(), revoked_reason = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING user_id`,
      [sessionId, reason],
    );
    const userId = rows[0]?.user_id;
    if (!userId) return false;
    this.announceRevoked([new SessionRevokedEvent(sessionId, userId, reason)]);
    return true;
  }

  /**
   * Revokes every live session of a user inside the caller's transaction (deactivation). Returns
   * what to announce with {@link announceRevoked} once it commits.
   */
  async revokeAllOf(tx: EntityManager, userId: string, reason: string): Promise<SessionRevokedEvent[]> {
    const rows = await queryRows<{ id: string }>(
      tx,
      `UPDATE sessions SET revoked_at = now(), revoked_reason = $2 WHERE user_id = $1 AND revoked_at IS NULL RETURNING id`,
      [userId, reason],
    );
    return rows.map((row) => new SessionRevokedEvent(row.id, userId, reason));
  }

  /** After revocations committed: forget cached host sessions, disconnect their sockets. */
  announceRevoked(revoked: SessionRevokedEvent[]): void {
    for (const e of revoked) {
      for (const [key, value] of this.externalSessions)
        if (value.id === e.sessionId) this.externalSessions.delete(key);
      this.events.emit(SessionRevokedEvent.event, e);
    }
  }

  listLive(userId: string): Promise<Session[]> {
    return this.sessions
      .createQueryBuilder('s')
      .where('s.user_id = :userId AND s.revoked_at IS NULL AND s.expires_at > now()', { userId })
      .orderBy('s.last_used_at', 'DESC')
      .limit(100)
      .getMany();
  }

  /** The caller's own live session, or NOT_FOUND (other users' sessions do not exist for them). */
  async getOwn(userId: string, sessionId: string): Promise<Session> {
    const session = await this.sessions.findOne({ where: { id: sessionId, userId, revokedAt: IsNull() } });
    if (!session || session.expiresAt.getTime() <= Date.now()) throw AppError.notFound('Session');
    return session;
  }

  async setState(userId: string, sessionId: string, state: SessionState): Promise<Session> {
    const session = await this.getOwn(userId, sessionId);
    if (session.state !== state) {
      session.state = state;
      await this.sessions.update({ id: session.id }, { state });
    }
    return session;
  }

  async revokeOwn(userId: string, sessionId: string): Promise<void> {
    await this.getOwn(userId, sessionId);
    await this.revoke(sessionId, 'revoked_by_user');
  }

  /** Of the given sessions, the users of those that are live and marked active. */
  async activeUsers(sessionIds: string[]): Promise<Set<string>> {
    if (sessionIds.length === 0) return new Set();
    const rows = await queryRows<{ user_id: string }>(
      this.dataSource,
      `SELECT DISTINCT user_id FROM sessions
        WHERE id = ANY($1::uuid[]) AND state = 'active' AND revoked_at IS NULL AND expires_at > now()`,
      [sessionIds],
    );
    return new Set(rows.map((r) => r.user_id));
  }

  countLive(): Promise<number> {
    return this.sessions
      .createQueryBuilder('s')
      .where('s.revoked_at IS NULL AND s.expires_at > now()')
      .getCount();
  }

  private refreshExpiry(): Date {
    return new Date(Date.now() + this.config.jwt.refreshTtlSeconds * 1000);
  }
}
