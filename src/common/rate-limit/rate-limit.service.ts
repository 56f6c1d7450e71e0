import { Injectable } from '@nestjs/common';
import {
  RateLimiterAbstract,
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
}

/**
 * Named token-bucket style limits, counted in Redis when configured (shared by every node)
 * and in memory otherwise. A refused call throws RATE_LIMITED with Retry-After.
 */
@Injectable()
export class RateLimitService {
  private readonly limiters = new Map<string, RateLimiterAbstract>();

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

  /** Gives back points, e.g. after a successful login. */
  async reward(spec: LimitSpec, key: string, points = 1): Promise<void> {
    if (spec.points <= 0) return;
    await this.limiter(spec).reward(key, points);
  }

  private limiter(spec: LimitSpec): RateLimiterAbstract {
    const id = `${spec.name}:${spec.points}:${spec.windowSeconds}`;
    let limiter = this.limiters.get(id);
    if (!limiter) {
      const opts = { keyPrefix: `${this.redis.prefix}rl:${spec.name}`, points: spec.points, duration: spec.windowSeconds };
      limiter = this.redis.client
        ? new RateLimiterRedis({ ...opts, storeClient: this.redis.client, useRedisPackage: false })
        : new RateLimiterMemory(opts);
      this.limiters.set(id, limiter);
    }
    return limiter;
  }
}
