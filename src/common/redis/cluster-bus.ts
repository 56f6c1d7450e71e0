import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import type { BusChannel, BusChannels } from './bus-channels.js';
import { RedisService } from './redis.service.js';

/**
 * Publish/subscribe between Relay nodes. With Redis every node, the publisher included, receives
 * each message, in the order each publisher sent them; without Redis it is an in-process emitter.
 *
 * While Redis is away, a publish reaches this node's handlers only, and this node hears nothing
 * from the others: whoever keeps state fresh by bus messages (caches dropped on invalidation)
 * learns it through {@link onInterruption} and must not trust that state until it is back.
 */
@Injectable()
export class ClusterBus implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ClusterBus.name);
  private readonly local = new EventEmitter();
  private subscriber: Redis | null = null;
  private readonly channels = new Set<string>();
  private readonly interruptionHandlers: ((listening: boolean) => void)[] = [];
  private listening = false;

  constructor(private readonly redis: RedisService) {
    this.local.setMaxListeners(0);
  }

  async onModuleInit(): Promise<void> {
    if (!this.redis.client) return;
    this.subscriber = this.redis.duplicate();
    this.subscriber.on('ready', () => this.setListening(true));
    this.subscriber.on('close', () => this.setListening(false));
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

  /**
   * True while this node hears every bus message (always without Redis). While false, messages
   * from other nodes may be missed.
   */
  get reliable(): boolean {
    return !this.redis.client || this.listening;
  }

  /**
   * Calls `handler(false)` when this node stops hearing the bus and `handler(true)` when it hears
   * it again: messages in between are lost to it.
   */
  onInterruption(handler: (listening: boolean) => void): void {
    this.interruptionHandlers.push(handler);
  }

  /** Registers a handler for a channel on this node. */
  async subscribe<C extends BusChannel>(
    channel: C,
    handler: (payload: BusChannels[C]) => void,
  ): Promise<void> {
    this.local.on(channel, handler);
    if (this.channels.has(channel)) return;
    this.channels.add(channel);
    if (this.subscriber) await this.subscriber.subscribe(this.redis.prefix + channel);
  }

  /** Sends a JSON payload to the handlers of every node (of this node only while Redis is away). */
  async publish<C extends BusChannel>(channel: C, payload: BusChannels[C]): Promise<void> {
    const client = this.redis.available;
    if (client) {
      try {
        await client.publish(this.redis.prefix + channel, JSON.stringify(payload));
      } catch (error) {
        // Redis went away under it: this node's handlers still hear it.
        this.local.emit(channel, payload);
        throw error;
      }
    } else {
      // Keep the asynchronous delivery of the Redis path, so callers cannot come to rely on re-entrancy.
      queueMicrotask(() => this.local.emit(channel, payload));
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.local.removeAllListeners();
    this.interruptionHandlers.length = 0;
    if (this.subscriber) await RedisService.close(this.subscriber);
  }

  private setListening(listening: boolean): void {
    if (listening === this.listening) return;
    this.listening = listening;
    if (!listening) this.logger.warn('Cluster bus interrupted: Redis is unreachable');
    else this.logger.log('Cluster bus listening');
    for (const handler of this.interruptionHandlers) handler(listening);
  }
}
