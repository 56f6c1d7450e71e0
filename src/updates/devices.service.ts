import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { decodeCursor, encodeCursor, type Page, toPage } from '../common/pagination/cursor.js';
import { queryRows } from '../database/sql.js';
import { Device } from './device.entity.js';
import type { DeviceDto, InstallStatDto, RegisterDeviceDto } from './dto/updates.dto.js';

const toDto = (d: Device): DeviceDto => ({
  deviceId: d.deviceId,
  platform: d.platform,
  model: d.model,
  osVersion: d.osVersion,
  appVersion: d.appVersion,
  appLocale: d.appLocale,
  deviceLocale: d.deviceLocale,
  createdAt: d.createdAt.toISOString(),
  updatedAt: d.updatedAt.toISOString(),
});

@Injectable()
export class DevicesService {
  constructor(private readonly dataSource: DataSource) {}

  /** Inserts or updates by deviceId in one statement, so concurrent registrations make one row. */
  async register(dto: RegisterDeviceDto): Promise<{ device: DeviceDto; created: boolean }> {
    const [row] = await queryRows<{ inserted: boolean; device_id: string }>(
      this.dataSource,
      `INSERT INTO devices (device_id, platform, model, os_version, app_version, app_locale, device_locale)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (device_id) DO UPDATE SET platform = EXCLUDED.platform, model = EXCLUDED.model,
         os_version = EXCLUDED.os_version, app_version = EXCLUDED.app_version, app_locale = EXCLUDED.app_locale,
         device_locale = EXCLUDED.device_locale, updated_at = now()
       RETURNING device_id, (xmax = 0) AS inserted`,
      [
        dto.deviceId,
        dto.platform,
        dto.model ?? null,
        dto.osVersion ?? null,
        dto.appVersion,
        dto.appLocale ?? null,
        dto.deviceLocale ?? null,
      ],
    );
    const device = await this.dataSource.getRepository(Device).findOneByOrFail({ deviceId: row!.device_id });
    return { device: toDto(device), created: row!.inserted };
  }

  async list(
    filter: { platform?: string; appVersion?: string },
    limit: number,
    cursor?: string,
  ): Promise<Page<DeviceDto>> {
    const qb = this.dataSource.getRepository(Device).createQueryBuilder('d');
    if (filter.platform) qb.andWhere('d.platform = :platform', { platform: filter.platform });
    if (filter.appVersion) qb.andWhere('d.app_version = :appVersion', { appVersion: filter.appVersion });
    if (cursor) {
      const [at, id] = decodeCursor(cursor, ['string', 'string'] as const);
      qb.andWhere('(d.updated_at, d.device_id) < (:at, :id)', { at, id });
    }
    const rows = await qb
      .orderBy('d.updated_at', 'DESC')
      .addOrderBy('d.device_id', 'DESC')
      .limit(limit + 1)
      .getMany();
    return toPage(rows, limit, toDto, (d) => encodeCursor([d.updatedAt.toISOString(), d.deviceId]));
  }

  /** Installs per platform and app version (each device counts once, at its current version). */
  async installs(): Promise<InstallStatDto[]> {
    const rows = await queryRows<{ platform: string; app_version: string; installs: number }>(
      this.dataSource,
      `SELECT platform, app_version, count(*)::int AS installs FROM devices GROUP BY platform, app_version
        ORDER BY platform, installs DESC, app_version LIMIT 1000`,
    );
    return rows.map((r) => ({ platform: r.platform, appVersion: r.app_version, installs: r.installs }));
  }
}
