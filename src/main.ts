import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import cluster from 'node:cluster';
import { createApp } from './app.factory.js';
import { AppConfig } from './common/config/app-config.js';
import { ConfigError } from './common/config/environment.js';
import { Lifecycle } from './common/lifecycle/lifecycle.js';
import { PinoLoggerService } from './common/logging.js';
import { publicBase, runPrimary, WORKER_READY } from './workers.js';

/** The last thing start-up prints: where everything is. */
const banner = (base: string): string =>
  [
    `Relay is up: ${base}`,
    `  Swagger UI: ${base}/docs (OpenAPI JSON: ${base}/docs-json)`,
    `  Socket contract: ${base}/docs/events (AsyncAPI JSON: ${base}/docs/events.json)`,
    `  Demo client: ${base}/demo`,
  ].join('\n');

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
  if (cluster.isPrimary && config.workers > 1) return runPrimary(config, banner);
  const app = await createApp(config, { interactive: Boolean(process.stdout.isTTY) });
  const logger = app.get(PinoLoggerService);
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      void shutdown(app, config, logger, signal);
    });
  }
  if (cluster.isWorker) {
    // The primary owns the port and hands this worker its connections (see workers.ts).
    logger.log(`Relay worker ${cluster.worker?.id} serving`);
    process.send?.({ type: WORKER_READY });
    return;
  }
  await app.listen(config.port, config.host ?? '0.0.0.0');
  const base = publicBase(config);
  const where = config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `embedded PGlite under ${config.dataDir}`;
  logger.log(`Relay listening on ${base} (database: ${where})`);
  console.log(banner(base));
}

/**
 * Graceful drain: readiness fails and nothing new is admitted at once, sends in flight are stored
 * and acked, clients are told `server:shutdown`, then everything closes. Whatever happens, the
 * process ends within SHUTDOWN_TIMEOUT_MS.
 */
async function shutdown(
  app: INestApplication,
  config: AppConfig,
  logger: PinoLoggerService,
  signal: string,
): Promise<void> {
  const started = Date.now();
  app.get(Lifecycle).beginDrain();
  logger.log(`Draining (${signal}; at most ${config.shutdownTimeoutMs} ms)`);
  const deadline = setTimeout(() => {
    logger.error(`Shutdown timed out after ${Date.now() - started} ms; exiting`);
    process.exit(1);
  }, config.shutdownTimeoutMs);
  deadline.unref();
  try {
    await app.close();
    logger.log(`Stopped after ${Date.now() - started} ms`);
    process.exit(0);
  } catch (error) {
    logger.error(`Shutdown failed after ${Date.now() - started} ms: ${String(error)}`);
    process.exit(1);
  }
}

void bootstrap();
