import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { AppConfig } from '../config/app-config.js';

/** The shared Redis connection when REDIS_URL is set; `client` is null on a single node without Redis. */
@Injectable()
export class RedisService implements OnApplicationShutdown {
  private readonly logger = new Logger(RedisService.name);
  readonly client: Redis | null;
  readonly prefix: string;

  constructor(config: AppConfig) {
    this.prefix = config.redisPrefix;
    this.client = config.redisUrl ? this.connect(config.redisUrl) : null;
  }

  /** A new connection for subscribers and adapters that need one of their own. */
  duplicate(): Redis {
    if (!this.client) throw new Error('Redis is not configured');
    const copy = this.client.duplicate({ enableAutoPipelining: false });
    copy.on('error', (err) => this.logger.warn({ err }, 'Redis connection error'));
    return copy;
  }

  async ping(): Promise<boolean> {
    if (!this.client) return true;
    try {
      return (await this.client.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.client && this.client.status !== 'end') await this.client.quit().catch(() => undefined);
  }

  private connect(url: string): Redis {
    // Commands issued in the same turn of the event loop (rate limits and publishes of concurrent
    // sends) travel as one pipeline: one write and one read instead of one round trip each.
    const client = new Redis(url, {
      maxRetriesPerRequest: 3,
      enableOfflineQueue: true,
      enableAutoPipelining: true,
    });
    client.on('error', (err) => this.logger.warn({ err }, 'Redis connection error'));
    return client;
  }
}
