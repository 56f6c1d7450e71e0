import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { decodeCursor } from '../common/pagination/cursor.js';
import { queryRows } from '../database/sql.js';
import { Device } from './device.entity.js';
import type { RegisterDeviceDto } from './dto/updates.dto.js';

/** The SQL of the device registry. */
@Injectable()
export class DevicesRepository {
  constructor(private readonly db: DataSource) {}

  /** Inserts or updates by deviceId in one statement, so concurrent registrations make one row. */
  async upsert(d: RegisterDeviceDto): Promise<{ device: Device; created: boolean }> {
    const [row] = await queryRows<{ inserted: boolean; device_id: string }>(
      this.db,
      `INSERT INTO devices (device_id, platform, model, os_version, app_version, app_locale, device_locale)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (device_id) DO UPDATE SET platform = EXCLUDED.platform, model = EXCLUDED.model,
         os_version = EXCLUDED.os_version, app_version = EXCLUDED.app_version, app_locale = EXCLUDED.app_locale,
         device_locale = EXCLUDED.device_locale, updated_at = now()
       RETURNING device_id, (xmax = 0) AS inserted`,
      [
        d.deviceId,
        d.platform,
        d.model ?? null,
        d.osVersion ?? null,
        d.appVersion,
        d.appLocale ?? null,
        d.deviceLocale ?? null,
      ],
    );
    const device = (await this.db.getRepository(Device).findOneBy({ deviceId: row!.device_id }))!;
    return { device, created: row!.inserted };
  }

  /** Devices, most recently updated first, after the cursor `[updatedAt, deviceId]`. */
  page(
    filter: { platform?: string; appVersion?: string },
    limit: number,
    cursor?: string,
  ): Promise<Device[]> {
    const qb = this.db.getRepository(Device).createQueryBuilder('d');
    if (filter.platform) qb.andWhere('d.platform = :platform', { platform: filter.platform });
    if (filter.appVersion) qb.andWhere('d.app_version = :appVersion', { appVersion: filter.appVersion });
    if (cursor) {
      const [at, id] = decodeCursor(cursor, ['timestamp', 'text'] as const);
      qb.andWhere('(d.updated_at, d.device_id) < (:at, :id)', { at, id });
    }
    return qb.orderBy('d.updated_at', 'DESC').addOrderBy('d.device_id', 'DESC').limit(limit).getMany();
  }

  /** Installs per platform and app version (each device counts once, at its current version). */
  /** Installs per (platform, app version), in that order, after the pair `after`. */
  async installs(
    limit: number,
    after?: readonly [string, string],
  ): Promise<{ platform: string; appVersion: string; installs: number }[]> {
    const rows = await queryRows<{ platform: string; app_version: string; installs: number }>(
      this.db,
      `SELECT platform, app_version, count(*)::int AS installs FROM devices
        WHERE $2::text IS NULL OR (platform, app_version) > ($2, $3)
        GROUP BY platform, app_version ORDER BY platform, app_version LIMIT $1`,
      [limit, after?.[0] ?? null, after?.[1] ?? null],
    );
    return rows.map((r) => ({ platform: r.platform, appVersion: r.app_version, installs: r.installs }));
  }
}
