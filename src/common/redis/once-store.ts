import { Injectable } from '@nestjs/common';
import { AppError } from '../errors/app-error.js';
import { RedisService } from './redis.service.js';

/**
 * Remembers keys for a while so each can be claimed once (ws tickets, request nonces).
 * Redis SET NX when configured, so a key claimed on one node is spent on all of them.
 */
@Injectable()
export class OnceStore {
  private readonly memory = new Map<string, number>();
  private lastSweep = Date.now();

  constructor(private readonly redis: RedisService) {}

  /**
   * True the first time `key` is claimed within `ttlSeconds`, false afterwards. With Redis
   * configured but away, SERVICE_UNAVAILABLE: no node could promise that the key was not claimed
   * on another one.
   */
  async claim(namespace: string, key: string, ttlSeconds: number): Promise<boolean> {
    const fullKey = `${this.redis.prefix}once:${namespace}:${key}`;
    if (this.redis.client) {
      const client = this.redis.available;
      if (!client) throw AppError.unavailable('Redis is unavailable; retry shortly', 1000);
      return (await client.set(fullKey, '1', 'EX', ttlSeconds, 'NX')) === 'OK';
    }
    const now = Date.now();
    this.sweep(now);
    const expires = this.memory.get(fullKey);
    if (expires !== undefined && expires > now) return false;
    this.memory.set(fullKey, now + ttlSeconds * 1000);
    return true;
  }

  /** Gives a claimed key back (a ticket spent by a handshake that was then refused). */
  async release(namespace: string, key: string): Promise<void> {
    const fullKey = `${this.redis.prefix}once:${namespace}:${key}`;
    if (!this.redis.client) {
      this.memory.delete(fullKey);
      return;
    }
    await this.redis.available?.del(fullKey);
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < 10_000) return;
    this.lastSweep = now;
    for (const [key, expires] of this.memory) if (expires <= now) this.memory.delete(key);
  }
}
