import { Injectable } from '@nestjs/common';
import {
  BurstyRateLimiter,
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';
import { AppError } from '../errors/app-error.js';
import { RedisService } from '../redis/redis.service.js';

export interface LimitSpec {
  /** Distinguishes counters of different limits. */
  name: string;
  /** Allowed events per window; 0 disables the limit. */
  points: number;
  windowSeconds: number;
  /** Extra events allowed in a burst above the steady rate, refilled over burst/points windows. */
  burst?: number;
  /** Counted in this process even with Redis: for keys that live on one node (a socket). */
  local?: boolean;
}

type Limiter = RateLimiterAbstract | BurstyRateLimiter;

/**
 * Named token-bucket style limits, counted in Redis when configured (shared by every node)
 * and in memory otherwise. A refused call throws RATE_LIMITED with Retry-After.
 */
@Injectable()
export class RateLimitService {
  private readonly limiters = new Map<string, Limiter>();

  constructor(private readonly redis: RedisService) {}

  async consume(spec: LimitSpec, key: string, points = 1): Promise<void> {
    if (spec.points <= 0) return;
    try {
      await this.limiter(spec).consume(key, points);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        throw AppError.rateLimited(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)));
      }
      throw rejection;
    }
  }

  private limiter(spec: LimitSpec): Limiter {
    const id = `${spec.name}:${spec.points}:${spec.windowSeconds}:${spec.burst ?? 0}:${spec.local ?? false}`;
    let limiter = this.limiters.get(id);
    if (!limiter) {
      const local = spec.local ?? false;
      const steady = this.create(spec.name, spec.points, spec.windowSeconds, local);
      limiter = spec.burst
        ? new BurstyRateLimiter(
            steady,
            this.create(
              `${spec.name}:burst`,
              spec.burst,
              Math.max(1, Math.ceil((spec.burst / spec.points) * spec.windowSeconds)),
              local,
            ),
          )
        : steady;
      this.limiters.set(id, limiter);
    }
    return limiter;
  }

  private create(name: string, points: number, duration: number, local: boolean): RateLimiterAbstract {
    const opts = { keyPrefix: `${this.redis.prefix}rl:${name}`, points, duration };
    return this.redis.client && !local
      ? new RateLimiterRedis({ ...opts, storeClient: this.redis.client, useRedisPackage: false })
      : new RateLimiterMemory(opts);
  }
}
