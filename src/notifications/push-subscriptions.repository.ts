import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { decodeCursor } from '../common/pagination/cursor.js';
import { queryRows } from '../database/sql.js';
import { type PushKind, PushSubscription } from './push-subscription.entity.js';

export interface NewPushSubscription {
  userId: string;
  sessionId: string;
  kind: PushKind;
  address: string;
  p256dh: string | null;
  auth: string | null;
}

const COLUMNS = `id, user_id AS "userId", session_id AS "sessionId", kind, address, p256dh, auth,
  created_at AS "createdAt", updated_at AS "updatedAt"`;

/** The SQL of push subscriptions. */
@Injectable()
export class PushSubscriptionsRepository {
  constructor(private readonly db: DataSource) {}

  /**
   * Stores a subscription, or rebinds the existing one with the same endpoint or token to this
   * user and session (a device has one address; whoever signed in last receives its pushes).
   */
  async upsert(s: NewPushSubscription): Promise<{ subscription: PushSubscription; created: boolean }> {
    const [row] = await queryRows<PushSubscription & { created: boolean }>(
      this.db,
      `INSERT INTO push_subscriptions (user_id, session_id, kind, address, p256dh, auth)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (kind, address) DO UPDATE
          SET user_id = EXCLUDED.user_id, session_id = EXCLUDED.session_id,
              p256dh = EXCLUDED.p256dh, auth = EXCLUDED.auth, updated_at = now()
       RETURNING ${COLUMNS}, (xmax = 0) AS created`,
      [s.userId, s.sessionId, s.kind, s.address, s.p256dh, s.auth],
    );
    const { created, ...subscription } = row!;
    return { subscription, created };
  }

  countOf(userId: string): Promise<number> {
    return this.db.getRepository(PushSubscription).countBy({ userId });
  }

  /** A page of a user's subscriptions, oldest first. */
  page(userId: string, limit: number, cursor?: string): Promise<PushSubscription[]> {
    const after = cursor ? decodeCursor(cursor, ['timestamp', 'uuid'] as const) : null;
    return queryRows<PushSubscription>(
      this.db,
      `SELECT ${COLUMNS} FROM push_subscriptions
        WHERE user_id = $1
          AND ($2::timestamptz IS NULL OR (date_trunc('milliseconds', created_at), id) > ($2::timestamptz, $3::uuid))
        ORDER BY date_trunc('milliseconds', created_at), id LIMIT $4`,
      [userId, after?.[0] ?? null, after?.[1] ?? null, limit],
    );
  }

  /** The subscriptions of these users. */
  ofUsers(userIds: string[]): Promise<PushSubscription[]> {
    if (userIds.length === 0) return Promise.resolve([]);
    return queryRows<PushSubscription>(
      this.db,
      `SELECT ${COLUMNS} FROM push_subscriptions WHERE user_id = ANY($1::uuid[]) ORDER BY created_at, id`,
      [userIds],
    );
  }

  async byId(id: string): Promise<PushSubscription | null> {
    const [row] = await queryRows<PushSubscription>(
      this.db,
      `SELECT ${COLUMNS} FROM push_subscriptions WHERE id = $1`,
      [id],
    );
    return row ?? null;
  }

  /** Deletes a subscription of this user; false when there is none with that id. */
  async deleteOwn(userId: string, id: string): Promise<boolean> {
    const rows = await queryRows(
      this.db,
      'DELETE FROM push_subscriptions WHERE id = $1 AND user_id = $2 RETURNING id',
      [id, userId],
    );
    return rows.length > 0;
  }

  /**
   * Deletes a subscription its provider reported gone, unless it was registered again since the
   * attempt began (then the address is fresh).
   */
  async deleteGone(id: string, seenAt: Date): Promise<void> {
    await this.db.query(
      "DELETE FROM push_subscriptions WHERE id = $1 AND date_trunc('milliseconds', updated_at) <= $2",
      [id, seenAt],
    );
  }

  async deleteBySession(sessionId: string): Promise<void> {
    await this.db.query('DELETE FROM push_subscriptions WHERE session_id = $1', [sessionId]);
  }
}
