import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { afterRow } from '../common/pagination/cursor.js';
import { queryRows } from '../database/sql.js';
import type { App } from './app.entity.js';

const APP_COLUMNS = `id, tenant_id AS "tenantId", name, key_hash AS "keyHash", created_at AS "createdAt",
  key_rotated_at AS "keyRotatedAt"`;

/** The SQL of applications and of the users who muted them. */
@Injectable()
export class AppsRepository {
  constructor(private readonly db: DataSource) {}

  async insert(tenantId: string, name: string, keyHash: string): Promise<App> {
    const [row] = await queryRows<App>(
      this.db,
      `INSERT INTO apps (tenant_id, name, key_hash) VALUES ($1, $2, $3) RETURNING ${APP_COLUMNS}`,
      [tenantId, name, keyHash],
    );
    return row!;
  }

  /** The tenant's applications, oldest first, after the row the cursor names. */
  listByTenant(tenantId: string, limit: number, cursor?: string): Promise<App[]> {
    const params: unknown[] = [tenantId, limit];
    let after = '';
    if (cursor) {
      const keyset = afterRow(cursor, 'apps', 'a', '$3');
      params.push(keyset.id);
      after = keyset.sql;
    }
    return queryRows<App>(
      this.db,
      `SELECT ${APP_COLUMNS} FROM apps a WHERE tenant_id = $1 ${after} ORDER BY created_at, id LIMIT $2`,
      params,
    );
  }

  async findById(id: string): Promise<App | null> {
    const [row] = await queryRows<App>(this.db, `SELECT ${APP_COLUMNS} FROM apps WHERE id = $1`, [id]);
    return row ?? null;
  }

  async findByKeyHash(keyHash: string): Promise<App | null> {
    const [row] = await queryRows<App>(this.db, `SELECT ${APP_COLUMNS} FROM apps WHERE key_hash = $1`, [
      keyHash,
    ]);
    return row ?? null;
  }

  async replaceKey(id: string, keyHash: string): Promise<App> {
    const [row] = await queryRows<App>(
      this.db,
      `UPDATE apps SET key_hash = $2, key_rotated_at = now() WHERE id = $1 RETURNING ${APP_COLUMNS}`,
      [id, keyHash],
    );
    return row!;
  }

  async setMuted(appId: string, userId: string, muted: boolean): Promise<void> {
    await this.db.query(
      muted
        ? 'INSERT INTO app_mutes (app_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING'
        : 'DELETE FROM app_mutes WHERE app_id = $1 AND user_id = $2',
      [appId, userId],
    );
  }

  /** Of these (user, app) pairs, those where the user muted the app, as `userId:appId`. */
  async mutedPairs(pairs: { userId: string; appId: string }[]): Promise<Set<string>> {
    if (pairs.length === 0) return new Set();
    const rows = await queryRows<{ user_id: string; app_id: string }>(
      this.db,
      `SELECT m.user_id, m.app_id FROM app_mutes m
         JOIN unnest($1::uuid[], $2::uuid[]) AS p(user_id, app_id) ON p.user_id = m.user_id AND p.app_id = m.app_id`,
      [pairs.map((p) => p.userId), pairs.map((p) => p.appId)],
    );
    return new Set(rows.map((r) => `${r.user_id}:${r.app_id}`));
  }

  /** Of these users, those who muted the app. */
  async mutedAmong(appId: string, userIds: string[]): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const rows = await queryRows<{ user_id: string }>(
      this.db,
      'SELECT user_id FROM app_mutes WHERE app_id = $1 AND user_id = ANY($2::uuid[])',
      [appId, userIds],
    );
    return new Set(rows.map((r) => r.user_id));
  }
}
