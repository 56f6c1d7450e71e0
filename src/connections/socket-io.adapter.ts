import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import { setupWorker } from '@socket.io/sticky';
import cluster from 'node:cluster';
import type { Redis } from 'ioredis';
import type { Server, ServerOptions } from 'socket.io';
import { originAllowed } from '../common/http/origins.js';
import { AppConfig } from '../common/config/app-config.js';
import { RedisService } from '../common/redis/redis.service.js';

/**
 * Socket.IO server settings from the configuration: packet size limit, CORS for the polling
 * transport, and the Redis adapter (rooms and broadcasts across nodes) when REDIS_URL is set.
 */
export class RelayIoAdapter extends IoAdapter {
  private readonly connections: Redis[] = [];

  constructor(private readonly appContext: INestApplicationContext) {
    super(appContext);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const config = this.appContext.get(AppConfig);
    const redis = this.appContext.get(RedisService);
    const settings: Partial<ServerOptions> = {
      path: '/socket.io',
      serveClient: false,
      maxHttpBufferSize: config.limits.socketPacketBytes,
      pingInterval: 25_000,
      pingTimeout: 20_000,
      cors: {
        origin: (origin: string | undefined, cb: (err: Error | null, allow?: boolean) => void) =>
          cb(null, origin === undefined || originAllowed(config, origin)),
        credentials: true,
      },
    };
    const server: Server = super.createIOServer(port, { ...options, ...settings } as ServerOptions);
    if (redis.client) {
      const pub = quiet(redis.duplicate(), ['publish']);
      const sub = quiet(redis.duplicate(), ['punsubscribe', 'unsubscribe']);
      this.connections.push(pub, sub);
      server.adapter(createAdapter(pub, sub, { key: `${redis.prefix}socket.io` }));
    }
    // A worker of WORKERS > 1: its connections come from the primary, which keeps each Socket.IO
    // session on the worker that holds it.
    if (cluster.isWorker) setupWorker(server);
    return server;
  }

  override async close(server: Server): Promise<void> {
    await super.close(server);
    await Promise.all(this.connections.splice(0).map((c) => RedisService.close(c)));
  }
}

/**
 * The adapter publishes, and unsubscribes when the server closes, without handling a failure
 * (Redis away): each would be an unhandled rejection, which ends a Node process. Unsubscribes
 * queued while Redis is away fail when the connection is closed right after them, at shutdown. A
 * broadcast that cannot reach Redis is lost to the other nodes (this node's own sockets still get
 * it): typing and receipts meanwhile, or a room change, which leaves a socket on another node
 * outside that conversation's room until it reconnects. Messages do not depend on it: they reach
 * users through the cluster bus and its catch-up.
 */
function quiet(connection: Redis, commands: ('publish' | 'punsubscribe' | 'unsubscribe')[]): Redis {
  const calls = connection as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const name of commands) {
    const command = calls[name]!.bind(connection);
    calls[name] = (...args: unknown[]) => command(...args).catch(() => 0);
  }
  return connection;
}
