import { Injectable } from '@nestjs/common';
import { AppConfig } from '../common/config/app-config.js';
import { decodeCursor, encodeCursor, type Page, toPage } from '../common/pagination/cursor.js';
import { RateLimitService } from '../common/rate-limit/rate-limit.service.js';
import type { Device } from './device.entity.js';
import { DevicesRepository } from './devices.repository.js';
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
  constructor(
    private readonly devices: DevicesRepository,
    private readonly limits: RateLimitService,
    private readonly config: AppConfig,
  ) {}

  /**
   * Inserts or updates by deviceId, so concurrent registrations make one row. Nobody signs in to
   * register, so registrations are limited per client IP (RATE_LIMIT_DEVICES_PER_IP_PER_MIN).
   */
  async register(dto: RegisterDeviceDto, ip: string): Promise<{ device: DeviceDto; created: boolean }> {
    await this.limits.consume(
      { name: 'devices-ip', points: this.config.rateLimits.devicesPerMinPerIp, windowSeconds: 60 },
      ip,
    );
    const { device, created } = await this.devices.upsert(dto);
    return { device: toDto(device), created };
  }

  async list(
    filter: { platform?: string; appVersion?: string },
    limit: number,
    cursor?: string,
  ): Promise<Page<DeviceDto>> {
    const rows = await this.devices.page(filter, limit + 1, cursor);
    return toPage(rows, limit, toDto, (d) => encodeCursor([d.updatedAt.toISOString(), d.deviceId]));
  }

  /** Installs per platform and app version (each device counts once, at its current version). */
  async installs(limit: number, cursor?: string): Promise<Page<InstallStatDto>> {
    const after = cursor ? decodeCursor(cursor, ['text', 'text'] as const) : undefined;
    const rows = await this.devices.installs(limit + 1, after);
    return toPage(
      rows,
      limit,
      (r) => r,
      (r) => encodeCursor([r.platform, r.appVersion]),
    );
  }
}
