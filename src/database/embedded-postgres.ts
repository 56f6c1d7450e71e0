import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SOCKET_PORT = 5432;

export interface PgConnection {
  host: string;
  port: number;
  username: string;
  database: string;
}

/**
 * Real PostgreSQL compiled to WASM (PGlite), served on a private Unix socket so that Relay
 * talks to it through the same `pg` driver as to a PostgreSQL server.
 *
 * PGlite is a single session: callers must keep to one pooled connection, otherwise the
 * statements of concurrent transactions would interleave.
 */
export class EmbeddedPostgres {
  private constructor(
    private readonly db: PGlite,
    private readonly server: PGLiteSocketServer,
    private readonly socketDir: string,
  ) {}

  /** Starts PGlite persisted under `dataDir`, or in memory when `dataDir` is undefined. */
  static async start(dataDir?: string): Promise<EmbeddedPostgres> {
    if (dataDir) mkdirSync(dataDir, { recursive: true });
    const db = await PGlite.create(dataDir ? { dataDir } : {});
    const socketDir = mkdtempSync(join(tmpdir(), 'relay-pg-'));
    const server = new PGLiteSocketServer({
      db,
      path: join(socketDir, `.s.PGSQL.${SOCKET_PORT}`),
      maxConnections: 8,
    });
    await server.start();
    return new EmbeddedPostgres(db, server, socketDir);
  }

  get connection(): PgConnection {
    return { host: this.socketDir, port: SOCKET_PORT, username: 'postgres', database: 'postgres' };
  }

  /** A `postgres://` URL for tools that only take URLs. */
  get url(): string {
    return `postgres://postgres@/postgres?host=${encodeURIComponent(this.socketDir)}&port=${SOCKET_PORT}`;
  }

  async stop(): Promise<void> {
    await this.server.stop();
    await this.db.close();
    rmSync(this.socketDir, { recursive: true, force: true });
  }
}
