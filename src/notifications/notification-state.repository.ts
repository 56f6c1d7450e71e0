import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type Db, queryRows } from '../database/sql.js';
import type { NotificationSettings } from './notification-settings.entity.js';

export type Settings = Pick<NotificationSettings, 'showPreviews' | 'doNotDisturbUntil'>;

export const DEFAULT_SETTINGS: Settings = { showPreviews: true, doNotDisturbUntil: null };

export interface MarkMove {
  userId: string;
  conversationId: string;
  from: number;
  to: number;
}

/** The SQL of users' notification settings, how far each user was told, and the server's push keys. */
@Injectable()
export class NotificationStateRepository {
  constructor(private readonly db: DataSource) {}

  async settings(userId: string): Promise<Settings> {
    return (await this.settingsOf([userId])).get(userId)!;
  }

  /** Changes the given fields (absent ones keep their value) and returns the result. */
  async updateSettings(
    userId: string,
    patch: { showPreviews?: boolean; doNotDisturbUntil?: Date | null },
  ): Promise<Settings> {
    const [row] = await queryRows<Settings>(
      this.db,
      `INSERT INTO notification_settings AS s (user_id, show_previews, do_not_disturb_until)
       VALUES ($1, COALESCE($2, true), CASE WHEN $3 THEN $4::timestamptz END)
       ON CONFLICT (user_id) DO UPDATE SET
         show_previews = COALESCE($2, s.show_previews),
         do_not_disturb_until = CASE WHEN $3 THEN $4::timestamptz ELSE s.do_not_disturb_until END,
         updated_at = now()
       RETURNING show_previews AS "showPreviews", do_not_disturb_until AS "doNotDisturbUntil"`,
      [
        userId,
        patch.showPreviews ?? null,
        patch.doNotDisturbUntil !== undefined,
        patch.doNotDisturbUntil ?? null,
      ],
    );
    return row!;
  }

  /** Settings of these users (the defaults for those without a row). */
  async settingsOf(userIds: string[]): Promise<Map<string, Settings>> {
    const rows = await queryRows<Settings & { userId: string }>(
      this.db,
      `SELECT user_id AS "userId", show_previews AS "showPreviews", do_not_disturb_until AS "doNotDisturbUntil"
         FROM notification_settings WHERE user_id = ANY($1::uuid[])`,
      [userIds],
    );
    const out = new Map(userIds.map((id) => [id, DEFAULT_SETTINGS]));
    for (const { userId, ...settings } of rows) out.set(userId, settings);
    return out;
  }

  /** How far each user was told of each conversation, keyed `userId:conversationId` (absent: 0). */
  async marksOf(pairs: { userId: string; conversationId: string }[]): Promise<Map<string, number>> {
    const rows = await queryRows<{ user_id: string; conversation_id: string; seq: string }>(
      this.db,
      `SELECT n.user_id, n.conversation_id, n.notified_seq AS seq FROM notification_marks n
         JOIN unnest($1::uuid[], $2::uuid[]) AS p(user_id, conversation_id)
           ON p.user_id = n.user_id AND p.conversation_id = n.conversation_id`,
      [pairs.map((p) => p.userId), pairs.map((p) => p.conversationId)],
    );
    return new Map(rows.map((r) => [`${r.user_id}:${r.conversation_id}`, Number(r.seq)]));
  }

  /**
   * Moves marks from `from` to `to`, each only if nobody moved it meanwhile (another node's job for
   * the same window). Returns the keys (`userId:conversationId`) moved; the others are given up.
   */
  async advanceAll(tx: Db, moves: MarkMove[]): Promise<Set<string>> {
    if (moves.length === 0) return new Set();
    const rows = await queryRows<{ user_id: string; conversation_id: string }>(
      tx,
      `INSERT INTO notification_marks AS n (user_id, conversation_id, notified_seq)
       SELECT user_id, conversation_id, to_seq
         FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::bigint[]) AS m(user_id, conversation_id, from_seq, to_seq)
       ON CONFLICT (user_id, conversation_id) DO UPDATE SET notified_seq = EXCLUDED.notified_seq
        WHERE n.notified_seq = (
          SELECT m.from_seq FROM unnest($1::uuid[], $2::uuid[], $3::bigint[]) AS m(user_id, conversation_id, from_seq)
           WHERE m.user_id = n.user_id AND m.conversation_id = n.conversation_id)
       RETURNING user_id, conversation_id`,
      [
        moves.map((m) => m.userId),
        moves.map((m) => m.conversationId),
        moves.map((m) => m.from),
        moves.map((m) => m.to),
      ],
    );
    return new Set(rows.map((r) => `${r.user_id}:${r.conversation_id}`));
  }

  /** The key pair stored under `name`, created from `generate` by the first node that asks. */
  async keyPair(
    name: string,
    generate: () => { publicKey: string; privateKey: string },
  ): Promise<{ publicKey: string; privateKey: string }> {
    const fresh = generate();
    await this.db.query(
      'INSERT INTO push_keys (name, public_key, private_key) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING',
      [name, fresh.publicKey, fresh.privateKey],
    );
    const [row] = await queryRows<{ publicKey: string; privateKey: string }>(
      this.db,
      'SELECT public_key AS "publicKey", private_key AS "privateKey" FROM push_keys WHERE name = $1',
      [name],
    );
    return row!;
  }
}
