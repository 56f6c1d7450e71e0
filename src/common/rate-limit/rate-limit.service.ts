import { Injectable } from '@nestjs/common';
import {
  BurstyRateLimiter,
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';
import { AppError } from '../errors/app-error.js';
import { nothingToRefund, type Refund } from '../refund.js';
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
  /** The two buckets of each bursty limiter (the library does not expose them). */
  private readonly parts = new WeakMap<
    BurstyRateLimiter,
    { steady: RateLimiterAbstract; burst: RateLimiterAbstract }
  >();

  constructor(private readonly redis: RedisService) {}

  /** Takes `points`, or refuses (RATE_LIMITED); the refund gives them back (a retry that stored nothing). */
  async consume(spec: LimitSpec, key: string, points = 1): Promise<Refund> {
    if (spec.points <= 0) return nothingToRefund;
    const limiter = this.limiter(spec);
    try {
      const taken = await limiter.consume(key, points);
      return () => this.giveBack(limiter, spec, key, points, taken);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        throw AppError.rateLimited(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)));
      }
      throw rejection;
    }
  }

  /**
   * Gives points back to whichever bucket took them: the steady one while it had room, otherwise
   * (its count is past its points) the burst bucket, whose count goes down with the steady one's.
   */
  private async giveBack(
    limiter: Limiter,
    spec: LimitSpec,
    key: string,
    points: number,
    taken: RateLimiterRes,
  ): Promise<void> {
    try {
      if (limiter instanceof BurstyRateLimiter) {
        const { steady, burst } = this.parts.get(limiter)!;
        await steady.reward(key, points);
        if (taken.consumedPoints > spec.points) await burst.reward(key, points);
      } else {
        await limiter.reward(key, points);
      }
    } catch {
      // A refund that cannot reach Redis costs the user a point, nothing else.
    }
  }

  private limiter(spec: LimitSpec): Limiter {
    const id = `${spec.name}:${spec.points}:${spec.windowSeconds}:${spec.burst ?? 0}:${spec.local ?? false}`;
    let limiter = this.limiters.get(id);
    if (!limiter) {
      const local = spec.local ?? false;
      const steady = this.create(spec.name, spec.points, spec.windowSeconds, local);
      if (spec.burst) {
        const burst = this.create(
          `${spec.name}:burst`,
          spec.burst,
          Math.max(1, Math.ceil((spec.burst / spec.points) * spec.windowSeconds)),
          local,
        );
        limiter = new BurstyRateLimiter(steady, burst);
        this.parts.set(limiter, { steady, burst });
      } else {
        limiter = steady;
      }
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
