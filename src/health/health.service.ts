import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { RedisService } from '../common/redis/redis.service.js';

export interface Readiness {
  status: 'ok' | 'unavailable';
  database: boolean;
  /** null when no Redis is configured. */
  redis: boolean | null;
}

/** Whether this node can serve: its database answers, and its Redis when one is configured. */
@Injectable()
export class HealthService {
  constructor(
    private readonly db: DataSource,
    private readonly redis: RedisService,
  ) {}

  async readiness(): Promise<Readiness> {
    const [database, redis] = await Promise.all([
      this.db.query('SELECT 1').then(
        () => true,
        () => false,
      ),
      this.redis.client ? this.redis.ping() : Promise.resolve(null),
    ]);
    const ok = database && redis !== false;
    return { status: ok ? 'ok' : 'unavailable', database, redis };
  }
}
