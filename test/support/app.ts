import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type TestAgent from 'supertest/lib/agent.js';
import { createApp } from '../../src/app.factory.js';
import { AppConfig } from '../../src/common/config/app-config.js';
import { provisionDatabase, type TestDatabase } from './database.js';
import { ResponseContract } from './openapi-responses.js';

export type Env = Record<string, string | undefined>;

export interface TestApp {
  url: string;
  config: AppConfig;
  app: INestApplication;
  http: TestAgent;
  /** Closes the app (the database stays). */
  close(): Promise<void>;
}

let database: Promise<TestDatabase> | null = null;
const dataDirs: string[] = [];

/** The test file's own database, created on first use. */
export function testDatabase(): Promise<TestDatabase> {
  database ??= provisionDatabase();
  return database;
}

/** Environment every test app starts from: its own data dir and Redis prefix, limits and load shedding off. */
export async function baseEnv(): Promise<Env> {
  const db = await testDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), 'relay-test-'));
  dataDirs.push(dataDir);
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DATA_DIR: dataDir,
    DATABASE_URL: db.url,
    DATABASE_POOL_SIZE: String(db.poolSize),
    REDIS_URL: process.env.REDIS_URL,
    REDIS_PREFIX: `relay-test:${randomBytes(6).toString('hex')}:`,
    JWT_SECRET: 'test-secret-test-secret-test-secret-0123456789',
    RATE_LIMIT_MESSAGES_PER_SEC: '0',
    RATE_LIMIT_LOGINS_PER_MIN: '0',
    RATE_LIMIT_LOGINS_PER_IP_PER_MIN: '0',
    RATE_LIMIT_REGISTRATIONS_PER_MIN: '0',
    RATE_LIMIT_SOCKET_EVENTS_PER_10S: '0',
    RATE_LIMIT_SOCKET_READS_PER_10S: '0',
    RATE_LIMIT_DEVICES_PER_IP_PER_MIN: '0',
    // Test clients share the server's process and CPU: only the overload tests shed load.
    SEND_QUEUE_MAX_WAIT_MS: '30000',
  };
}

/** Starts the real application on `port` (0: a random one) against the file's database. */
export async function startApp(overrides: Env = {}, port = 0): Promise<TestApp> {
  const config = AppConfig.load({ ...(await baseEnv()), ...overrides });
  const app = await createApp(config);
  await app.listen(port, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  const url = `http://127.0.0.1:${address.port}`;
  // Every response the tests receive is checked against the OpenAPI document.
  const http = (await ResponseContract.of(url)).agent(url);
  return { url, config, app, http, close: () => app.close() };
}

/** Drops the file's database; call from afterAll after closing apps. */
export async function releaseTestDatabase(): Promise<void> {
  const db = database;
  database = null;
  if (db) await (await db).dispose();
  for (const dir of dataDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}
