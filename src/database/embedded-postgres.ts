import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SOCKET_PORT = 5432;

/**
 * PostgreSQL settings for one embedded node: PGlite's shared buffers live in its WebAssembly
 * memory, which only grows; 16 MB (instead of 128) keeps a small database's node small.
 */
const POSTGRESQL_CONF = ['shared_buffers=16MB'];

/**
 * Creates a new data directory in a short-lived child process. initdb touches several hundred
 * megabytes of WebAssembly memory, which neither a WebAssembly instance nor the C allocator of a
 * worker thread gives back; a process that exits does.
 */
async function initdb(dataDir: string): Promise<void> {
  const child = spawn(process.execPath, ['-e', INITDB], {
    env: {
      PATH: process.env.PATH,
      PGLITE_MODULE: createRequire(import.meta.url).resolve('@electric-sql/pglite'),
      PGDATA_DIR: dataDir,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`initialising the embedded database under ${dataDir} failed`);
}

const INITDB = `
const { PGlite } = require(process.env.PGLITE_MODULE);
PGlite.create({ dataDir: process.env.PGDATA_DIR })
  .then((db) => db.close())
  .then(() => process.exit(0), (error) => { console.error(error); process.exit(1); });
`;

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
    const options = { postgresqlconf: POSTGRESQL_CONF };
    if (dataDir && !existsSync(join(dataDir, 'PG_VERSION'))) {
      mkdirSync(dataDir, { recursive: true });
      await initdb(dataDir);
    }
    const db = await PGlite.create(dataDir ? { dataDir, ...options } : options);
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
