import pg from 'pg';
import { type DataSource } from 'typeorm';
import type { PostgresDataSourceOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions.js';
import { ENTITIES } from './entities.js';
import { SnakeNamingStrategy } from './snake-naming.strategy.js';
import type { PgConnection } from './embedded-postgres.js';
import { MIGRATIONS } from './migrations/index.js';

/** Arbitrary constant: the advisory lock that serialises the start-up work of nodes starting together. */
const MIGRATION_LOCK_ID = 7_231_904_118;

export type DatabaseTarget = { url: string } | PgConnection;

/**
 * TypeORM's options for Relay's database. On a PostgreSQL server, `idleTransactionTimeoutMs` ends
 * a transaction left idle that long (a node frozen while holding a conversation's lock would
 * otherwise stall every send to it); embedded PGlite has one session and no other writer.
 */
export function dataSourceOptions(
  target: DatabaseTarget,
  poolSize: number,
  idleTransactionTimeoutMs?: number,
): PostgresDataSourceOptions {
  const serverOnly =
    'url' in target && idleTransactionTimeoutMs
      ? { idle_in_transaction_session_timeout: idleTransactionTimeoutMs }
      : {};
  return {
    type: 'postgres',
    ...target,
    entities: ENTITIES,
    namingStrategy: new SnakeNamingStrategy(),
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    poolSize,
    extra: { max: poolSize, connectionTimeoutMillis: 10_000, idleTimeoutMillis: 30_000, ...serverOnly },
    applicationName: 'relay',
    logging: false,
  };
}

/**
 * Runs `work` while holding the start-up lock: on a PostgreSQL server, nodes booting together wait
 * for each other on an advisory lock (held on a connection of its own, so that `work` may use the
 * whole pool); embedded PGlite has a single owner.
 */
export async function underStartupLock<T>(dataSource: DataSource, work: () => Promise<T>): Promise<T> {
  const options = dataSource.options as PostgresDataSourceOptions;
  if (!options.url) return work();
  const lock = new pg.Client({ connectionString: options.url });
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    return await work();
  } finally {
    await lock.end();
  }
}

/** Applies pending migrations, one node at a time. */
export async function migrate(dataSource: DataSource): Promise<void> {
  await underStartupLock(dataSource, () =>
    dataSource.runMigrations({ transaction: 'each' }).then(() => undefined),
  );
}
