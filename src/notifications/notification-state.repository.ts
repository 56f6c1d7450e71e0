import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type Db, queryRows } from '../database/sql.js';
import type { NotificationSettings } from './notification-settings.entity.js';

export type Settings = Pick<NotificationSettings, 'showPreviews' | 'doNotDisturbUntil'>;

export const DEFAULT_SETTINGS: Settings = { showPreviews: true, doNotDisturbUntil: null };

/** The SQL of users' notification settings, how far each user was told, and the server's push keys. */
@Injectable()
export class NotificationStateRepository {
  constructor(private readonly db: DataSource) {}

  async settings(userId: string): Promise<Settings> {
    const [row] = await queryRows<Settings>(
      this.db,
      `SELECT show_previews AS "showPreviews", do_not_disturb_until AS "doNotDisturbUntil"
         FROM notification_settings WHERE user_id = $1`,
      [userId],
    );
    return row ?? DEFAULT_SETTINGS;
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

  /** The seq a user was last told about in a conversation (0: never). */
  async notifiedSeq(userId: string, conversationId: string): Promise<number> {
    const [row] = await queryRows<{ seq: string }>(
      this.db,
      'SELECT notified_seq AS seq FROM notification_marks WHERE user_id = $1 AND conversation_id = $2',
      [userId, conversationId],
    );
    return Number(row?.seq ?? 0);
  }

  /**
   * Moves the mark from `from` to `to`, only if nobody moved it meanwhile (another node's job for
   * the same window): false then, and the caller gives up its notification.
   */
  async advance(tx: Db, userId: string, conversationId: string, from: number, to: number): Promise<boolean> {
    const rows = await queryRows(
      tx,
      `INSERT INTO notification_marks AS n (user_id, conversation_id, notified_seq) VALUES ($1, $2, $4)
       ON CONFLICT (user_id, conversation_id) DO UPDATE SET notified_seq = $4
        WHERE n.notified_seq = $3
       RETURNING 1`,
      [userId, conversationId, from, to],
    );
    return rows.length > 0;
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
