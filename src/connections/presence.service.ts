import { Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AppConfig } from '../common/config/app-config.js';
import { RedisService } from '../common/redis/redis.service.js';

/**
 * Which users have live sockets, across nodes. With Redis, one sorted set per user holds its socket
 * ids scored by expiry, refreshed by the owning node; without Redis, a map in memory. While Redis
 * is away, each node knows (and limits) only its own sockets, and records them in Redis when it
 * returns.
 */
@Injectable()
export class PresenceService implements OnModuleInit, OnApplicationShutdown {
  /** userId → socketId → sessionId, for this node's sockets. */
  private readonly local = new Map<string, Map<string, string>>();
  /** Sockets reserved as their user's first live socket, until they connect. */
  private readonly firstSockets = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  /** This node in the registry of nodes (Redis), so that others can tell when it is gone. */
  private readonly nodeId = randomUUID();
  private readonly changeHandlers: ((userIds: string[], online: boolean) => void)[] = [];
  /**
   * How long a Redis entry lives without its node refreshing it (PRESENCE_TTL_MS): a crashed or
   * frozen node's sockets expire; a live node refreshes three times per lifetime.
   */
  private readonly ttlMs: number;

  constructor(
    private readonly redis: RedisService,
    config: AppConfig,
  ) {
    this.ttlMs = config.presenceTtlMs;
  }

  onModuleInit(): void {
    if (!this.redis.client) return;
    this.timer = setInterval(() => void this.refresh().then(() => this.reapDeadNodes()), this.ttlMs / 3);
    this.timer.unref();
    // Redis back (perhaps empty): this node's sockets are online again at once.
    this.redis.onReconnect(() => void this.refresh());
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /**
   * Calls `handler` with users whose presence changed without a socket of theirs connecting or
   * disconnecting: offline when the node that held their sockets died (seen by a surviving node
   * within PRESENCE_TTL_MS and a third), online again when a node that was taken for dead runs
   * again.
   */
  onChange(handler: (userIds: string[], online: boolean) => void): void {
    this.changeHandlers.push(handler);
  }

  /**
   * Records a socket being admitted unless the user holds `max` live sockets already, on any node
   * (then false, and nothing stays recorded). Concurrent admissions past the limit may all be
   * refused; none is let through. Whether it is the user's first live socket anywhere is kept for
   * {@link connected}.
   */
  async reserve(userId: string, socketId: string, sessionId: string, max: number): Promise<boolean> {
    let count = (this.local.get(userId)?.size ?? 0) + 1;
    const client = this.redis.available;
    if (client) {
      const now = Date.now();
      const key = this.key(userId);
      const member = entry(socketId, sessionId);
      const result = await client
        .multi()
        .zremrangebyscore(key, 0, now)
        .zadd(key, now + this.ttlMs, member)
        .zcard(key)
        .pexpire(key, this.ttlMs)
        .zadd(this.nodesKey(), now + this.ttlMs, this.nodeId)
        .sadd(this.nodeUsersKey(this.nodeId), userId)
        .pexpire(this.nodeUsersKey(this.nodeId), this.ttlMs * 3)
        .exec();
      count = Number(result?.[2]?.[1]);
      if (count > max) {
        await client.zrem(key, member);
        return false;
      }
    } else if (count > max) {
      return false;
    }
    // Read again after the round trip: a concurrent admission of the same user may have made the map.
    const sockets = this.local.get(userId) ?? new Map<string, string>();
    sockets.set(socketId, sessionId);
    this.local.set(userId, sockets);
    if (count === 1) this.firstSockets.add(socketId);
    return true;
  }

  /** Once the reserved socket is connected: true when it was the user's first live socket anywhere. */
  connected(socketId: string): boolean {
    return this.firstSockets.delete(socketId);
  }

  /** Forgets a socket; true when the user has no live socket left anywhere. */
  async disconnected(userId: string, socketId: string): Promise<boolean> {
    this.firstSockets.delete(socketId);
    const sockets = this.local.get(userId);
    const sessionId = sockets?.get(socketId) ?? '';
    sockets?.delete(socketId);
    if (sockets?.size === 0) this.local.delete(userId);
    const client = this.redis.available;
    if (!client) return !this.local.has(userId);
    const key = this.key(userId);
    const multi = client.multi().zrem(key, entry(socketId, sessionId)).zcount(key, Date.now(), '+inf');
    if (!this.local.has(userId)) multi.srem(this.nodeUsersKey(this.nodeId), userId);
    const result = await multi.exec();
    return Number(result?.[1]?.[1]) === 0;
  }

  async onlineOf(userIds: string[]): Promise<Set<string>> {
    const client = this.redis.available;
    if (!client) return new Set(userIds.filter((id) => this.local.has(id)));
    if (userIds.length === 0) return new Set();
    const now = Date.now();
    const pipeline = client.pipeline();
    for (const id of userIds) pipeline.zcount(this.key(id), now, '+inf');
    const counts = (await pipeline.exec()) ?? [];
    return new Set(userIds.filter((_, i) => Number(counts[i]?.[1]) > 0));
  }

  /** The sessions that have a live socket, per user (users without one are absent). */
  async connectedSessions(userIds: string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    const client = this.redis.available;
    if (!client) {
      for (const id of userIds) {
        const sockets = this.local.get(id);
        if (sockets) out.set(id, [...new Set(sockets.values())]);
      }
      return out;
    }
    if (userIds.length === 0) return out;
    const now = Date.now();
    const pipeline = client.pipeline();
    for (const id of userIds) pipeline.zrangebyscore(this.key(id), now, '+inf');
    const results = (await pipeline.exec()) ?? [];
    userIds.forEach((id, i) => {
      const members = (results[i]?.[1] as string[] | undefined) ?? [];
      const sessions = [...new Set(members.map((m) => m.split('|')[1] ?? '').filter(Boolean))];
      if (sessions.length > 0) out.set(id, sessions);
    });
    return out;
  }

  /** The sessions of a user's sockets on this node (no round trip; other nodes' sockets are not seen). */
  localSessions(userId: string): string[] {
    const sockets = this.local.get(userId);
    return sockets ? [...new Set(sockets.values())] : [];
  }

  /** Users with a live socket and live sockets, across all nodes (an admin statistic: scans Redis). */
  async totals(): Promise<{ onlineUsers: number; sockets: number }> {
    const client = this.redis.available;
    if (!client) return { onlineUsers: this.local.size, sockets: this.localSocketCount() };
    const now = Date.now();
    let onlineUsers = 0;
    let sockets = 0;
    for await (const keys of client.scanStream({
      match: `${this.redis.prefix}presence:*`,
      count: 500,
    }) as AsyncIterable<string[]>) {
      if (keys.length === 0) continue;
      const pipeline = client.pipeline();
      for (const key of keys) pipeline.zcount(key, now, '+inf');
      for (const [, n] of (await pipeline.exec()) ?? []) {
        const count = Number(n);
        if (count > 0) {
          onlineUsers++;
          sockets += count;
        }
      }
    }
    return { onlineUsers, sockets };
  }

  /** Sockets of users connected to this node. */
  localSocketCount(): number {
    let n = 0;
    for (const sockets of this.local.values()) n += sockets.size;
    return n;
  }

  private async refresh(): Promise<void> {
    const client = this.redis.available;
    if (!client) return;
    const expires = Date.now() + this.ttlMs;
    const pipeline = client.pipeline().zadd(this.nodesKey(), expires, this.nodeId);
    const users = [...this.local.keys()];
    for (const [userId, sockets] of this.local) {
      for (const [socketId, sessionId] of sockets)
        pipeline.zadd(this.key(userId), expires, entry(socketId, sessionId));
      pipeline.pexpire(this.key(userId), this.ttlMs);
    }
    if (users.length > 0)
      pipeline
        .sadd(this.nodeUsersKey(this.nodeId), ...users)
        .pexpire(this.nodeUsersKey(this.nodeId), this.ttlMs * 3);
    const results = await pipeline.exec().catch(() => null);
    // This node was absent from the registry (taken for dead while it was frozen, or Redis came
    // back empty): its users may have been announced offline.
    if (results && Number(results[0]?.[1]) === 1 && users.length > 0) this.changed(users, true);
  }

  /**
   * Nodes whose registry entry expired (they stopped refreshing: killed, or frozen): one surviving
   * node claims each, forgets it, and announces its users who have no live socket elsewhere.
   */
  private async reapDeadNodes(): Promise<void> {
    const client = this.redis.available;
    if (!client) return;
    try {
      const dead = await client.zrangebyscore(this.nodesKey(), 0, Date.now());
      for (const nodeId of dead) {
        if (nodeId === this.nodeId) continue;
        const claimed = await client.set(
          `${this.redis.prefix}presence:reap:${nodeId}`,
          '1',
          'PX',
          this.ttlMs * 3,
          'NX',
        );
        if (claimed !== 'OK') continue;
        const users = await client.smembers(this.nodeUsersKey(nodeId));
        await client.multi().zrem(this.nodesKey(), nodeId).del(this.nodeUsersKey(nodeId)).exec();
        const online = await this.onlineOf(users);
        const gone = users.filter((id) => !online.has(id));
        if (gone.length > 0) this.changed(gone, false);
      }
    } catch {
      // Redis went away meanwhile: the next round tries again.
    }
  }

  private changed(userIds: string[], online: boolean): void {
    for (const handler of this.changeHandlers) handler(userIds, online);
  }

  private nodesKey(): string {
    return `${this.redis.prefix}presence-nodes`;
  }

  private nodeUsersKey(nodeId: string): string {
    return `${this.redis.prefix}presence-node:${nodeId}`;
  }

  private key(userId: string): string {
    return `${this.redis.prefix}presence:${userId}`;
  }
}

const entry = (socketId: string, sessionId: string): string => `${socketId}|${sessionId}`;
