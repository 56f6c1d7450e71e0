import { Injectable } from '@nestjs/common';
import { DataSource, type DeepPartial, type EntityManager, IsNull } from 'typeorm';
import { type Db, queryRows } from '../database/sql.js';
import { RefreshToken } from './refresh-token.entity.js';
import { Session, type SessionState } from './session.entity.js';
import type { UserRole } from '../users/user.entity.js';

/** The SQL of sessions and their refresh tokens (stored as hashes). */
@Injectable()
export class SessionsRepository {
  constructor(private readonly db: DataSource) {}

  insert(db: Db, session: DeepPartial<Session>): Promise<Session> {
    const repo = db.getRepository(Session);
    return repo.save(repo.create(session));
  }

  async save(tx: EntityManager, session: Session): Promise<void> {
    await tx.getRepository(Session).save(session);
  }

  async insertRefreshToken(tx: EntityManager, sessionId: string, tokenHash: string): Promise<void> {
    await tx.getRepository(RefreshToken).insert({ sessionId, tokenHash });
  }

  /** Marks an unspent refresh token spent; its session id, or null when it was unknown or spent already. */
  async spendRefreshToken(tx: EntityManager, tokenHash: string): Promise<string | null> {
    const [row] = await queryRows<{ session_id: string }>(
      tx,
      `UPDATE refresh_tokens SET spent_at = now() WHERE token_hash = $1 AND spent_at IS NULL RETURNING session_id`,
      [tokenHash],
    );
    return row?.session_id ?? null;
  }

  findRefreshToken(tx: EntityManager, tokenHash: string): Promise<RefreshToken | null> {
    return tx.getRepository(RefreshToken).findOne({ where: { tokenHash } });
  }

  /** A session that is not revoked (it may have expired), of anyone or of one user. */
  findUnrevoked(db: Db, id: string, userId?: string): Promise<Session | null> {
    return db
      .getRepository(Session)
      .findOne({ where: { id, revokedAt: IsNull(), ...(userId ? { userId } : {}) } });
  }

  /** Extends the newest live host session of the user with this device id; its id, or null when none. */
  async extendHostSession(userId: string, deviceId: string, expiresAt: Date): Promise<string | null> {
    const [row] = await queryRows<{ id: string }>(
      this.db,
      `UPDATE sessions SET expires_at = GREATEST(expires_at, $3), last_used_at = now()
        WHERE id = (SELECT id FROM sessions WHERE user_id = $1 AND device_id = $2 AND platform = 'host' AND revoked_at IS NULL
                    ORDER BY created_at DESC LIMIT 1)
        RETURNING id`,
      [userId, deviceId, expiresAt],
    );
    return row?.id ?? null;
  }

  /** The user's role when the session is live and the account active; null otherwise. */
  async liveRole(sessionId: string, userId: string): Promise<UserRole | null> {
    const [row] = await queryRows<{ role: UserRole }>(
      this.db,
      `SELECT u.role FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND s.expires_at > now()
          AND u.deactivated_at IS NULL`,
      [sessionId, userId],
    );
    return row?.role ?? null;
  }

  /** Revokes a live session; its user, or null when it was revoked already or does not exist. */
  async revoke(sessionId: string, reason: string): Promise<string | null> {
    const [row] = await queryRows<{ user_id: string }>(
      this.db,
      `UPDATE sessions SET revoked_at = now(), revoked_reason = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING user_id`,
      [sessionId, reason],
    );
    return row?.user_id ?? null;
  }

  /** Revokes every live session of a user inside the caller's transaction; their ids. */
  async revokeAllOf(tx: EntityManager, userId: string, reason: string): Promise<string[]> {
    const rows = await queryRows<{ id: string }>(
      tx,
      `UPDATE sessions SET revoked_at = now(), revoked_reason = $2 WHERE user_id = $1 AND revoked_at IS NULL RETURNING id`,
      [userId, reason],
    );
    return rows.map((r) => r.id);
  }

  listLive(userId: string, limit: number): Promise<Session[]> {
    return this.db
      .getRepository(Session)
      .createQueryBuilder('s')
      .where('s.user_id = :userId AND s.revoked_at IS NULL AND s.expires_at > now()', { userId })
      .orderBy('s.last_used_at', 'DESC')
      .limit(limit)
      .getMany();
  }

  async setState(id: string, state: SessionState): Promise<void> {
    await this.db.getRepository(Session).update({ id }, { state });
  }

  /** Of the given sessions, the users of those that are live and marked active. */
  async activeUsers(sessionIds: string[]): Promise<Set<string>> {
    if (sessionIds.length === 0) return new Set();
    const rows = await queryRows<{ user_id: string }>(
      this.db,
      `SELECT DISTINCT user_id FROM sessions
        WHERE id = ANY($1::uuid[]) AND state = 'active' AND revoked_at IS NULL AND expires_at > now()`,
      [sessionIds],
    );
    return new Set(rows.map((r) => r.user_id));
  }

  /** The state of each of these sessions that is live (revoked and expired ones are absent). */
  async statesOf(sessionIds: string[]): Promise<Map<string, SessionState>> {
    if (sessionIds.length === 0) return new Map();
    const rows = await queryRows<{ id: string; state: SessionState }>(
      this.db,
      `SELECT id, state FROM sessions
        WHERE id = ANY($1::uuid[]) AND revoked_at IS NULL AND expires_at > now()`,
      [sessionIds],
    );
    return new Map(rows.map((r) => [r.id, r.state]));
  }

  countLive(): Promise<number> {
    return this.db
      .getRepository(Session)
      .createQueryBuilder('s')
      .where('s.revoked_at IS NULL AND s.expires_at > now()')
      .getCount();
  }
}
