import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions, migrate } from '../../src/database/data-source.js';
import { EmbeddedPostgres } from '../../src/database/embedded-postgres.js';
import { MIGRATIONS } from '../../src/database/migrations/index.js';

export interface TestDatabase {
  /** Connection URL for the app under test. */
  url: string;
  /** Pool size the app must use (1 for PGlite, which is a single session). */
  poolSize: number;
  dispose(): Promise<void>;
}

const TEMPLATE_LOCK = 918_273_645;

/** Name of a migrated template database for the current migrations, so each file can clone it. */
function templateName(): string {
  const hash = createHash('sha256');
  for (const m of MIGRATIONS) hash.update(m.name).update(m.prototype.up.toString());
  return `relay_tpl_${hash.digest('hex').slice(0, 16)}`;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/**
 * A database of its own for one test file: with DATABASE_URL, a clone of a migrated template on
 * that server; without it, an in-memory PGlite.
 */
export async function provisionDatabase(): Promise<TestDatabase> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    const embedded = await EmbeddedPostgres.start();
    return { url: embedded.url, poolSize: 1, dispose: () => embedded.stop() };
  }
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  const template = templateName();
  const name = `relay_t_${randomBytes(6).toString('hex')}`;
  try {
    await admin.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK]);
    try {
      const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]);
      if (exists.rowCount === 0) {
        const building = `${template}_build`;
        await admin.query(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`);
        await admin.query(`CREATE DATABASE ${building}`);
        const ds = await new DataSource(
          dataSourceOptions({ url: withDatabase(serverUrl, building) }, 2),
        ).initialize();
        await migrate(ds);
        await ds.destroy();
        await admin.query(`ALTER DATABASE ${building} RENAME TO ${template}`);
        // Templates of earlier migration sets are of no further use.
        const stale = await admin.query<{ datname: string }>(
          "SELECT datname FROM pg_database WHERE datname LIKE 'relay\\_tpl\\_%' AND datname NOT LIKE '%\\_build' AND datname <> $1",
          [template],
        );
        for (const { datname } of stale.rows)
          await admin.query(`DROP DATABASE IF EXISTS ${datname}`).catch(() => undefined);
      }
      await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
    } finally {
      await admin.query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK]);
    }
  } finally {
    await admin.end();
  }
  return {
    url: withDatabase(serverUrl, name),
    poolSize: 10,
    dispose: async () => {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
