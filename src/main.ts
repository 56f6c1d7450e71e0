import 'reflect-metadata';
import { Logger } from 'nestjs-pino';
import { createApp } from './app.factory.js';
import { AppConfig } from './common/config/app-config.js';
import { ConfigError } from './common/config/environment.js';

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
  app.enableShutdownHooks();
  await app.listen(config.port, config.host ?? '0.0.0.0');
  const shown = config.host && config.host !== '0.0.0.0' && config.host !== '::' ? config.host : 'localhost';
  const base = `http://${shown}:${config.port}`;
  const where = config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `embedded PGlite under ${config.dataDir}`;
  app.get(Logger).log(`Relay listening on ${base} (database: ${where})`);
  console.log(`Relay is up: ${base}\n  Swagger UI: ${base}/docs\n  OpenAPI JSON: ${base}/docs-json`);
}

void bootstrap();
