/**
 * Migration tooling: `run` applies pending migrations to the configured database;
 * `check` fails when the entities and the committed migrations disagree;
 * `generate <Name>` writes a migration for the difference and registers it.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { parseEnvironment } from '../common/config/environment.js';
import { dataSourceOptions, type DatabaseTarget, migrate } from './data-source.js';
import { EmbeddedPostgres } from './embedded-postgres.js';

interface Scratch {
  target: DatabaseTarget;
  dispose(): Promise<void>;
}

/** An empty database to replay the migrations on: a temporary one on the server, or in-memory PGlite. */
async function scratchDatabase(databaseUrl: string | undefined): Promise<Scratch> {
  if (!databaseUrl) {
    const embedded = await EmbeddedPostgres.start();
    return { target: embedded.connection, dispose: () => embedded.stop() };
  }
  const name = `relay_migcheck_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(databaseUrl);
  url.pathname = `/${name}`;
  return {
    target: { url: url.toString() },
    dispose: async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

async function pendingSchemaChanges(target: DatabaseTarget) {
  const dataSource = await new DataSource(dataSourceOptions(target, 1)).initialize();
  try {
    await migrate(dataSource);
    return await dataSource.driver.createSchemaBuilder().log();
  } finally {
    await dataSource.destroy();
  }
}

function migrationSource(className: string, up: string[], down: string[]): string {
  const lines = (queries: string[]) =>
    queries
      .map((q) => `    await queryRunner.query(\`${q.replace(/[`\\$]/g, (c) => `\\${c}`)}\`);`)
      .join('\n');
  return `import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ${className} implements MigrationInterface {
  name = '${className}';

  async up(queryRunner: QueryRunner): Promise<void> {
${lines(up)}
  }

  async down(queryRunner: QueryRunner): Promise<void> {
${lines(down)}
  }
}
`;
}

async function main(): Promise<void> {
  const [command, name] = process.argv.slice(2);
  const env = parseEnvironment(process.env);

  if (command === 'run') {
    let embedded: EmbeddedPostgres | undefined;
    const target = env.DATABASE_URL
      ? { url: env.DATABASE_URL }
      : (embedded = await EmbeddedPostgres.start(join(resolve(env.DATA_DIR), 'pgdata'))).connection;
    const dataSource = await new DataSource(dataSourceOptions(target, 1)).initialize();
    await migrate(dataSource);
    await dataSource.destroy();
    await embedded?.stop();
    console.log('Migrations applied.');
    return;
  }

  if (command === 'check' || command === 'generate') {
    const scratch = await scratchDatabase(env.DATABASE_URL);
    let sql;
    try {
      sql = await pendingSchemaChanges(scratch.target);
    } finally {
      await scratch.dispose();
    }
    const up = sql.upQueries.map((q) => q.query);
    const down = sql.downQueries.map((q) => q.query).reverse();

    if (command === 'check') {
      if (up.length === 0) {
        console.log('Entities and migrations agree.');
        return;
      }
      console.error('Entities and migrations disagree; a new migration would run:\n');
      for (const q of up) console.error(`  ${q};`);
      console.error('\nRun `npm run migration:generate -- <Name>` and commit the result.');
      process.exitCode = 1;
      return;
    }

    if (!name || !/^[A-Z][A-Za-z0-9]*$/.test(name)) throw new Error('usage: generate <PascalCaseName>');
    if (up.length === 0) {
      console.log('No schema changes; nothing generated.');
      return;
    }
    const timestamp = Date.now();
    const className = `${name}${timestamp}`;
    const dir = resolve('src/database/migrations');
    const file = `${timestamp}-${name}`;
    writeFileSync(join(dir, `${file}.ts`), migrationSource(className, up, down));
    const indexPath = join(dir, 'index.ts');
    const index = `import { ${className} } from './${file}.js';\n${readFileSync(indexPath, 'utf8')}`.replace(
      /= \[([^]*?)\];/,
      (_m, list: string) => {
        const items = list
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
          .concat(className);
        return `= [\n  ${items.join(',\n  ')},\n];`;
      },
    );
    writeFileSync(indexPath, index);
    console.log(`Wrote src/database/migrations/${file}.ts`);
    return;
  }

  throw new Error('usage: cli.js run | check | generate <Name>');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
