import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { AppConfig } from '../config/app-config.js';

/**
 * The shared Redis connection when REDIS_URL is set; `client` is null on a single node without
 * Redis. While Redis is away, `available` is null: services with a local fallback take it (rate
 * limits from memory, presence of this node's sockets, delivery to this node's sockets) and those
 * without one answer SERVICE_UNAVAILABLE at once instead of waiting for it.
 */
@Injectable()
export class RedisService implements OnApplicationShutdown {
  private readonly logger = new Logger(RedisService.name);
  readonly client: Redis | null;
  readonly prefix: string;

  constructor(config: AppConfig) {
    this.prefix = config.redisPrefix;
    this.client = config.redisUrl ? this.connect(config.redisUrl) : null;
  }

  /** The client when Redis is configured and connected; null otherwise. */
  get available(): Redis | null {
    return this.client?.status === 'ready' ? this.client : null;
  }

  /** Calls `handler` every time the shared connection comes back after being lost. */
  onReconnect(handler: () => void): void {
    let lost = false;
    this.client?.on('close', () => (lost = true));
    this.client?.on('ready', () => {
      if (!lost) return;
      lost = false;
      handler();
    });
  }

  /** A new connection for subscribers and adapters that need one of their own. */
  duplicate(): Redis {
    if (!this.client) throw new Error('Redis is not configured');
    const copy = this.client.duplicate({ enableAutoPipelining: false });
    copy.on('error', (err) => this.logger.warn({ err }, 'Redis connection error'));
    return copy;
  }

  /** Whether Redis answers now (true when none is configured). */
  async ping(): Promise<boolean> {
    if (!this.client) return true;
    const client = this.available;
    if (!client) return false;
    try {
      return (await client.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  /** Closes a connection: politely when Redis is there, at once when it is not (QUIT would wait for it). */
  static async close(connection: Redis): Promise<void> {
    if (connection.status === 'end') return;
    if (connection.status === 'ready') await connection.quit().catch(() => undefined);
    else connection.disconnect();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.client) await RedisService.close(this.client);
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
