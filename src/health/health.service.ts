import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Lifecycle } from '../common/lifecycle/lifecycle.js';
import { RedisService } from '../common/redis/redis.service.js';

export interface Readiness {
  status: 'ok' | 'unavailable';
  database: boolean;
  /** null when no Redis is configured. */
  redis: boolean | null;
  /** The node is shutting down: not ready, whatever its dependencies say. */
  draining: boolean;
}

/**
 * Whether this node can serve: it is not draining, its database answers, and its Redis when one is
 * configured.
 */
@Injectable()
export class HealthService {
  constructor(
    private readonly db: DataSource,
    private readonly redis: RedisService,
    private readonly lifecycle: Lifecycle,
  ) {}

  async readiness(): Promise<Readiness> {
    const [database, redis] = await Promise.all([
      this.db.query('SELECT 1').then(
        () => true,
        () => false,
      ),
      this.redis.client ? this.redis.ping() : Promise.resolve(null),
    ]);
    const draining = this.lifecycle.draining;
    const ok = database && redis !== false && !draining;
    return { status: ok ? 'ok' : 'unavailable', database, redis, draining };
  }
}
