import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { Logger } from 'nestjs-pino';
import { createApp } from './app.factory.js';
import { AppConfig } from './common/config/app-config.js';
import { ConfigError } from './common/config/environment.js';
import { Lifecycle } from './common/lifecycle/lifecycle.js';

async function bootstrap(): Promise<void> {
  let config: AppConfig;
  try {
    config = AppConfig.load();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const app = await createApp(config, { interactive: Boolean(process.stdout.isTTY) });
  const logger = app.get(Logger);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => void shutdown(app, config, logger, signal));
  }
  await app.listen(config.port, config.host ?? '0.0.0.0');
  const shown = config.host && config.host !== '0.0.0.0' && config.host !== '::' ? config.host : 'localhost';
  const base = `http://${shown}:${config.port}`;
  const where = config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `embedded PGlite under ${config.dataDir}`;
  logger.log(`Relay listening on ${base} (database: ${where})`);
  console.log(`Relay is up: ${base}\n  Swagger UI: ${base}/docs\n  OpenAPI JSON: ${base}/docs-json`);
}

/**
 * Graceful drain: readiness fails and nothing new is admitted at once, sends in flight are stored
 * and acked, clients are told `server:shutdown`, then everything closes. Whatever happens, the
 * process ends within SHUTDOWN_TIMEOUT_MS.
 */
async function shutdown(
  app: INestApplication,
  config: AppConfig,
  logger: Logger,
  signal: string,
): Promise<void> {
  const started = Date.now();
  app.get(Lifecycle).beginDrain();
  logger.log({ signal, timeoutMs: config.shutdownTimeoutMs }, 'Draining');
  const deadline = setTimeout(() => {
    logger.error({ afterMs: Date.now() - started }, 'Shutdown timed out; exiting');
    process.exit(1);
  }, config.shutdownTimeoutMs);
  deadline.unref();
  try {
    await app.close();
    logger.log({ afterMs: Date.now() - started }, 'Stopped');
    process.exit(0);
  } catch (error) {
    logger.error({ err: error, afterMs: Date.now() - started }, 'Shutdown failed');
    process.exit(1);
  }
}

void bootstrap();
