import { Injectable } from '@nestjs/common';
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';
import { AppError } from '../errors/app-error.js';
import { RedisService } from '../redis/redis.service.js';
import { nothingToRefund, type Refund } from '../refund.js';

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

/** A limit's buckets: the steady rate, and the burst allowance drawn on when the steady one is spent. */
interface Buckets {
  steady: RateLimiterAbstract;
  burst: RateLimiterAbstract | null;
}

/** A limit counted in Redis, and its twin in memory for while Redis is away. */
interface Counted {
  shared: Buckets | null;
  local: Buckets;
}

/**
 * Named token-bucket style limits, counted in Redis when configured (shared by every node) and in
 * memory otherwise, or while Redis is away (each node then counts alone). A refused call throws
 * RATE_LIMITED with Retry-After; an accepted one returns a refund that gives the point back to the
 * bucket that took it.
 */
@Injectable()
export class RateLimitService {
  private readonly limiters = new Map<string, Counted>();

  constructor(private readonly redis: RedisService) {}

  /** Takes `points`, or refuses (RATE_LIMITED); the refund gives them back (a retry that stored nothing). */
  async consume(spec: LimitSpec, key: string, points = 1): Promise<Refund> {
    if (spec.points <= 0) return nothingToRefund;
    const counted = this.buckets(spec);
    const { steady, burst } = (this.redis.available && counted.shared) || counted.local;
    let refusal: RateLimiterRes;
    try {
      await steady.consume(key, points);
      return () => this.giveBack(steady, key, points);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      refusal = rejection;
    }
    if (burst) {
      try {
        await burst.consume(key, points);
        return () => this.giveBack(burst, key, points);
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        // Retry when the sooner of the two buckets has room again.
        if (rejection.msBeforeNext < refusal.msBeforeNext) refusal = rejection;
      }
    }
    throw AppError.rateLimited(Math.max(1, Math.ceil(refusal.msBeforeNext / 1000)));
  }

  private async giveBack(bucket: RateLimiterAbstract, key: string, points: number): Promise<void> {
    try {
      await bucket.reward(key, points);
    } catch {
      // A refund that cannot reach Redis costs the user a point, nothing else.
    }
  }

  private buckets(spec: LimitSpec): Counted {
    const id = `${spec.name}:${spec.points}:${spec.windowSeconds}:${spec.burst ?? 0}:${spec.local ?? false}`;
    let counted = this.limiters.get(id);
    if (!counted) {
      const shared = this.redis.client && !spec.local;
      counted = {
        shared: shared
          ? this.pair(spec, (name, points, duration) => this.inRedis(name, points, duration))
          : null,
        local: this.pair(spec, (name, points, duration) => this.inMemory(name, points, duration)),
      };
      this.limiters.set(id, counted);
    }
    return counted;
  }

  private pair(
    spec: LimitSpec,
    create: (name: string, points: number, duration: number) => RateLimiterAbstract,
  ): Buckets {
    return {
      steady: create(spec.name, spec.points, spec.windowSeconds),
      burst: spec.burst
        ? create(
            `${spec.name}:burst`,
            spec.burst,
            Math.max(1, Math.ceil((spec.burst / spec.points) * spec.windowSeconds)),
          )
        : null,
    };
  }

  private inMemory(name: string, points: number, duration: number): RateLimiterMemory {
    return new RateLimiterMemory({ keyPrefix: `${this.redis.prefix}rl:${name}`, points, duration });
  }

  private inRedis(name: string, points: number, duration: number): RateLimiterRedis {
    return new RateLimiterRedis({
      keyPrefix: `${this.redis.prefix}rl:${name}`,
      points,
      duration,
      storeClient: this.redis.client,
      useRedisPackage: false,
      // Once a key has been refused, it is refused from memory for the rest of the window: a flood
      // costs no Redis round trip per refused event. (Blocking at the limit itself would keep
      // refusing after a refund gave a point back.)
      inMemoryBlockOnConsumed: points + 1,
      // Redis lost in the middle of a call: counted in memory instead of failing the request.
      insuranceLimiter: this.inMemory(`${name}:insurance`, points, duration),
    });
  }
}
