import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import { RedisService } from './redis.service.js';

type Handler = (payload: unknown) => void;

/**
 * Publish/subscribe between Relay nodes. With Redis every node, the publisher included, receives
 * each message, in the order each publisher sent them; without Redis it is an in-process emitter.
 */
@Injectable()
export class ClusterBus implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ClusterBus.name);
  private readonly local = new EventEmitter();
  private subscriber: Redis | null = null;
  private readonly channels = new Set<string>();

  constructor(private readonly redis: RedisService) {
    this.local.setMaxListeners(0);
  }

  async onModuleInit(): Promise<void> {
    if (!this.redis.client) return;
    this.subscriber = this.redis.duplicate();
    this.subscriber.on('messageBuffer', (channel: Buffer, message: Buffer) => {
      const name = channel.toString().slice(this.redis.prefix.length);
      let payload: unknown;
      try {
        payload = JSON.parse(message.toString());
      } catch {
        this.logger.warn(`Dropped a malformed bus message on ${name}`);
        return;
      }
      this.local.emit(name, payload);
    });
    if (this.channels.size > 0)
      await this.subscriber.subscribe(...[...this.channels].map((c) => this.redis.prefix + c));
  }

  /** Registers a handler for a channel on this node. */
  async subscribe(channel: string, handler: Handler): Promise<void> {
    this.local.on(channel, handler);
    if (this.channels.has(channel)) return;
    this.channels.add(channel);
    if (this.subscriber) await this.subscriber.subscribe(this.redis.prefix + channel);
  }

  /** Sends a JSON payload to the handlers of every node. */
  async publish(channel: string, payload: unknown): Promise<void> {
    if (this.redis.client) {
      await this.redis.client.publish(this.redis.prefix + channel, JSON.stringify(payload));
    } else {
      // Keep the asynchronous delivery of the Redis path, so callers cannot come to rely on re-entrancy.
      queueMicrotask(() => this.local.emit(channel, payload));
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.local.removeAllListeners();
    if (this.subscriber) await this.subscriber.quit().catch(() => undefined);
  }
}
