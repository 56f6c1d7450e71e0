import { Injectable, type OnModuleInit } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { ClusterBus } from '../redis/cluster-bus.js';

/** What the bus carries for caches: which cache, and which keys (null: every key). */
export interface CacheInvalidation {
  cache: string;
  keys: string[] | null;
}

declare module '../redis/bus-channels.js' {
  interface BusChannels {
    cache: CacheInvalidation;
  }
}

export interface CacheSpec {
  /** Unique per cache: invalidations on the bus name it. */
  name: string;
  /** Entries kept at most (least recently used go first). */
  max: number;
  /** How long an entry is trusted at most, should an invalidation have been missed; none: until evicted. */
  ttlMs?: number;
  /**
   * `cluster` (the default): the fact can change on any node; invalidations go to every node over
   * the bus, nothing is cached while the bus is interrupted and everything is dropped when it is.
   * `immutable`: the fact never changes once read (a conversation's kind); no bus involved.
   */
  scope?: 'cluster' | 'immutable';
}

/**
 * A bounded cache of one kind of fact, keyed by string. Reads go through {@link read}, which loads
 * on a miss and keeps the result only when no invalidation of this cache happened while it loaded
 * (a read racing a change must not bring the old value back) and the bus is heard.
 */
export class SharedCache<V extends NonNullable<unknown>> {
  private readonly entries: LRUCache<string, V>;
  /** Bumped by every invalidation, so that a load racing one is not kept. */
  private generation = 0;

  constructor(
    readonly spec: CacheSpec,
    private readonly bus: ClusterBus,
  ) {
    this.entries = new LRUCache<string, V>({ max: spec.max, ...(spec.ttlMs ? { ttl: spec.ttlMs } : {}) });
  }

  /** The cached value, without loading. */
  peek(key: string): V | undefined {
    return this.entries.get(key);
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** The cached value, or `load()`'s, kept when nothing invalidated this cache meanwhile. */
  async read(key: string, load: () => Promise<V>): Promise<V> {
    const cached = this.entries.get(key);
    if (cached !== undefined) return cached;
    const generation = this.generation;
    const value = await load();
    if (generation === this.generation && this.trusted()) this.entries.set(key, value);
    return value;
  }

  /**
   * Like {@link read} for many keys at once: `load` gets the missing keys and returns their values
   * (a key it leaves out is not cached and is absent from the answer).
   */
  async readMany(
    keys: string[],
    load: (missing: string[]) => Promise<Map<string, V>>,
  ): Promise<Map<string, V>> {
    const out = new Map<string, V>();
    const missing: string[] = [];
    for (const key of keys) {
      const cached = this.entries.get(key);
      if (cached === undefined) missing.push(key);
      else out.set(key, cached);
    }
    if (missing.length === 0) return out;
    const generation = this.generation;
    const loaded = await load(missing);
    const keep = generation === this.generation && this.trusted();
    for (const [key, value] of loaded) {
      out.set(key, value);
      if (keep) this.entries.set(key, value);
    }
    return out;
  }

  /** Keeps a value this node has just written or read itself (only when it can be trusted). */
  set(key: string, value: V): void {
    if (this.trusted()) this.entries.set(key, value);
  }

  /** Drops keys on this node and, for cluster caches, on every node (through the bus). */
  async invalidate(...keys: string[]): Promise<void> {
    this.drop(keys);
    if (this.spec.scope === 'immutable') return;
    await this.bus.publish('cache', { cache: this.spec.name, keys }).catch(() => undefined);
  }

  /** Drops every entry, on this node and on every node (a change too broad to name its keys). */
  async invalidateAll(): Promise<void> {
    this.drop(null);
    if (this.spec.scope === 'immutable') return;
    await this.bus.publish('cache', { cache: this.spec.name, keys: null }).catch(() => undefined);
  }

  /** Drops every entry whose key matches, on this node and on every node. */
  async invalidateWhere(matches: (key: string) => boolean): Promise<void> {
    const keys = [...this.entries.keys()].filter(matches);
    if (keys.length > 0) await this.invalidate(...keys);
  }

  /** Drops keys on this node only. */
  drop(keys: string[] | null): void {
    this.generation += 1;
    if (keys === null) this.entries.clear();
    else for (const key of keys) this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  private trusted(): boolean {
    return this.spec.scope === 'immutable' || this.bus.reliable;
  }
}

/**
 * Creates the caches of every module and keeps them fresh across nodes: one bus channel carries
 * every invalidation to the cache it names, and a bus interruption drops every cluster cache.
 */
@Injectable()
export class CacheService implements OnModuleInit {
  private readonly caches = new Map<string, Pick<SharedCache<NonNullable<unknown>>, 'spec' | 'drop'>>();

  constructor(private readonly bus: ClusterBus) {}

  async onModuleInit(): Promise<void> {
    await this.bus.subscribe('cache', ({ cache, keys }) => this.caches.get(cache)?.drop(keys));
    // Invalidations missed while the bus was down: nothing cached before can be trusted.
    this.bus.onInterruption(() => {
      for (const cache of this.caches.values()) if (cache.spec.scope !== 'immutable') cache.drop(null);
    });
  }

  create<V extends NonNullable<unknown>>(spec: CacheSpec): SharedCache<V> {
    if (this.caches.has(spec.name)) throw new Error(`Two caches named ${spec.name}`);
    const cache = new SharedCache<V>(spec, this.bus);
    this.caches.set(spec.name, cache);
    return cache;
  }
}
