import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { AppConfig } from '../config/app-config.js';
import { ClusterBus } from '../redis/cluster-bus.js';
import { RedisService } from '../redis/redis.service.js';
import { CacheService } from './cache.service.js';

const JWT_SECRET = 'x'.repeat(32);

/** A node's Redis, bus and caches; without `redisUrl`, the bus is an in-process emitter. */
async function node(redisUrl?: string, prefix = `relay-cache-test:${randomUUID()}:`) {
  const redis = new RedisService(
    AppConfig.load({ JWT_SECRET, REDIS_PREFIX: prefix, ...(redisUrl ? { REDIS_URL: redisUrl } : {}) }),
  );
  const bus = new ClusterBus(redis);
  const caches = new CacheService(bus);
  await bus.onModuleInit();
  await caches.onModuleInit();
  const close = async () => {
    await bus.onApplicationShutdown();
    await redis.onApplicationShutdown();
  };
  return { redis, bus, caches, close };
}

/**
 * A bus the test interrupts: what CacheService uses of ClusterBus (subscriptions, publishing,
 * interruptions, whether it is heard), delivered in process.
 */
class InterruptibleBus {
  reliable = true;
  private readonly handlers: ((payload: unknown) => void)[] = [];
  private readonly interruptionHandlers: ((listening: boolean) => void)[] = [];

  subscribe(_channel: string, handler: (payload: unknown) => void): Promise<void> {
    this.handlers.push(handler);
    return Promise.resolve();
  }

  publish(_channel: string, payload: unknown): Promise<void> {
    if (this.reliable) queueMicrotask(() => this.handlers.forEach((h) => h(payload)));
    return Promise.resolve();
  }

  onInterruption(handler: (listening: boolean) => void): void {
    this.interruptionHandlers.push(handler);
  }

  interrupt(): void {
    this.reliable = false;
    for (const handler of this.interruptionHandlers) handler(false);
  }

  resume(): void {
    this.reliable = true;
    for (const handler of this.interruptionHandlers) handler(true);
  }
}

async function interruptibleCaches() {
  const bus = new InterruptibleBus();
  const caches = new CacheService(bus as unknown as ClusterBus);
  await caches.onModuleInit();
  return { bus, caches };
}

/** A load the test finishes when it chooses, to race it against an invalidation. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('CacheService and SharedCache (one node, in-process bus)', () => {
  let local: Awaited<ReturnType<typeof node>>;
  beforeAll(async () => {
    local = await node();
  });
  afterAll(async () => {
    await local.close();
  });

  it('loads a missing key once and answers later reads from the cache', async () => {
    const cache = local.caches.create<string>({ name: 'loads-once', max: 10 });
    let loads = 0;
    const load = () => Promise.resolve(`value ${++loads}`);
    expect(await cache.read('a', load)).toBe('value 1');
    expect(await cache.read('a', load)).toBe('value 1');
    expect(loads).toBe(1);
  });

  it('keeps at most `max` entries, the least recently used going first', async () => {
    const cache = local.caches.create<string>({ name: 'bounded', max: 2 });
    await cache.read('a', () => Promise.resolve('A'));
    await cache.read('b', () => Promise.resolve('B'));
    await cache.read('a', () => Promise.resolve('A again')); // a used after b
    await cache.read('c', () => Promise.resolve('C'));
    expect(cache.size).toBe(2);
    expect(cache.peek('b')).toBeUndefined();
    expect(cache.peek('a')).toBe('A');
    expect(cache.peek('c')).toBe('C');
  });

  it('forgets an entry after its ttl', async () => {
    const cache = local.caches.create<string>({ name: 'ttl', max: 10, ttlMs: 50 });
    cache.set('a', 'A');
    expect(cache.peek('a')).toBe('A');
    await sleep(80);
    expect(cache.peek('a')).toBeUndefined();
    let loads = 0;
    expect(await cache.read('a', () => Promise.resolve(`fresh ${++loads}`))).toBe('fresh 1');
  });

  it('does not keep a load that an invalidation raced, but still answers it', async () => {
    const cache = local.caches.create<string>({ name: 'race', max: 10 });
    const slow = deferred<string>();
    const reading = cache.read('a', () => slow.promise);
    await cache.invalidate('a');
    slow.resolve('old');
    expect(await reading).toBe('old');
    expect(cache.peek('a')).toBeUndefined();
    expect(await cache.read('a', () => Promise.resolve('new'))).toBe('new');
    expect(cache.peek('a')).toBe('new');
  });

  it('does not keep a batch load that an invalidation raced, but answers it', async () => {
    const cache = local.caches.create<string>({ name: 'race-many', max: 10 });
    cache.set('kept', 'K');
    const slow = deferred<Map<string, string>>();
    const reading = cache.readMany(['kept', 'a', 'b'], () => slow.promise);
    await cache.invalidate('unrelated');
    slow.resolve(
      new Map([
        ['a', 'A'],
        ['b', 'B'],
      ]),
    );
    expect(await reading).toEqual(
      new Map([
        ['kept', 'K'],
        ['a', 'A'],
        ['b', 'B'],
      ]),
    );
    expect(cache.peek('a')).toBeUndefined();
    expect(cache.peek('b')).toBeUndefined();
  });

  it('readMany loads only the missing keys and keeps what it loaded', async () => {
    const cache = local.caches.create<string>({ name: 'many', max: 10 });
    cache.set('a', 'A');
    const asked: string[][] = [];
    const load = (missing: string[]) => {
      asked.push(missing);
      return Promise.resolve(new Map(missing.filter((k) => k !== 'gone').map((k) => [k, k.toUpperCase()])));
    };
    expect(await cache.readMany(['a', 'b', 'gone'], load)).toEqual(
      new Map([
        ['a', 'A'],
        ['b', 'B'],
      ]),
    );
    expect(asked).toEqual([['b', 'gone']]);
    expect(cache.peek('b')).toBe('B');
    expect(cache.has('gone')).toBe(false);
  });

  it('invalidate drops the keys named, invalidateWhere the keys that match', async () => {
    const cache = local.caches.create<string>({ name: 'invalidate', max: 10 });
    for (const key of ['u1:a', 'u1:b', 'u2:a']) cache.set(key, key);
    await cache.invalidate('u2:a');
    expect(cache.peek('u2:a')).toBeUndefined();
    await cache.invalidateWhere((key) => key.startsWith('u1:'));
    expect(cache.size).toBe(0);
  });

  it('an invalidation published on the bus reaches the cache it names, and only that one', async () => {
    const mine = local.caches.create<string>({ name: 'bus-mine', max: 10 });
    const other = local.caches.create<string>({ name: 'bus-other', max: 10 });
    mine.set('a', 'A');
    other.set('a', 'A');
    await local.bus.publish('cache', { cache: 'bus-mine', keys: ['a'] });
    await until(() => mine.peek('a') === undefined, 'the invalidation');
    expect(other.peek('a')).toBe('A');
    await local.bus.publish('cache', { cache: 'bus-other', keys: null });
    await until(() => other.size === 0, 'the invalidation of every key');
  });

  it('refuses two caches with one name', () => {
    local.caches.create<string>({ name: 'twice', max: 1 });
    expect(() => local.caches.create<string>({ name: 'twice', max: 1 })).toThrow('Two caches named twice');
  });
});

describe('CacheService across a bus interruption', () => {
  it('drops cluster caches when the bus is interrupted and keeps immutable ones', async () => {
    const { bus, caches } = await interruptibleCaches();
    const cluster = caches.create<string>({ name: 'cluster', max: 10 });
    const immutable = caches.create<string>({ name: 'immutable', max: 10, scope: 'immutable' });
    cluster.set('a', 'A');
    immutable.set('a', 'A');
    bus.interrupt();
    expect(cluster.peek('a')).toBeUndefined();
    expect(immutable.peek('a')).toBe('A');
  });

  it('keeps nothing in a cluster cache while the bus is interrupted, but answers each read', async () => {
    const { bus, caches } = await interruptibleCaches();
    const cluster = caches.create<string>({ name: 'cluster', max: 10 });
    const immutable = caches.create<string>({ name: 'immutable', max: 10, scope: 'immutable' });
    bus.interrupt();
    expect(await cluster.read('a', () => Promise.resolve('A'))).toBe('A');
    expect(await cluster.readMany(['b'], () => Promise.resolve(new Map([['b', 'B']])))).toEqual(
      new Map([['b', 'B']]),
    );
    cluster.set('c', 'C');
    expect(cluster.size).toBe(0);
    expect(await immutable.read('a', () => Promise.resolve('A'))).toBe('A');
    expect(immutable.peek('a')).toBe('A');

    bus.resume();
    expect(await cluster.read('a', () => Promise.resolve('A'))).toBe('A');
    expect(cluster.peek('a')).toBe('A');
  });

  it('does not keep a load that was in flight when the bus was interrupted', async () => {
    const { bus, caches } = await interruptibleCaches();
    const cluster = caches.create<string>({ name: 'cluster', max: 10 });
    const slow = deferred<string>();
    const reading = cluster.read('a', () => slow.promise);
    bus.interrupt();
    bus.resume();
    slow.resolve('from before');
    expect(await reading).toBe('from before');
    expect(cluster.peek('a')).toBeUndefined();
  });
});

const redisUrl = process.env.REDIS_URL;
/** Two nodes need Redis between them: without REDIS_URL this test is reported as skipped. */
const withRedis = redisUrl ? it : it.skip;

describe('CacheService on two nodes sharing Redis', () => {
  const nodes: Awaited<ReturnType<typeof node>>[] = [];
  afterEach(async () => {
    for (const n of nodes.splice(0)) await n.close();
  });

  withRedis('an invalidation on one node drops the key on the other (needs REDIS_URL)', async () => {
    const prefix = `relay-cache-test:${randomUUID()}:`;
    const a = await node(redisUrl, prefix);
    const b = await node(redisUrl, prefix);
    nodes.push(a, b);
    await until(() => a.bus.reliable && b.bus.reliable, 'both buses listening');
    const onA = a.caches.create<string>({ name: 'facts', max: 10 });
    const onB = b.caches.create<string>({ name: 'facts', max: 10 });
    expect(await onB.read('k', () => Promise.resolve('old'))).toBe('old');
    expect(await onB.read('other', () => Promise.resolve('kept'))).toBe('kept');
    expect(onB.peek('k')).toBe('old');

    await onA.invalidate('k');
    await until(() => onB.peek('k') === undefined, 'the invalidation on the other node');
    expect(onB.peek('other')).toBe('kept');
  });
});
