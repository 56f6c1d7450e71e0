import { Global, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { AppConfig } from '../common/config/app-config.js';
import { dataSourceOptions, migrate } from './data-source.js';
import { EmbeddedPostgres } from './embedded-postgres.js';

/** Owns the embedded PGlite server when no DATABASE_URL is configured. */
@Injectable()
export class EmbeddedDatabase implements OnApplicationShutdown {
  private instance: EmbeddedPostgres | null = null;

  constructor(private readonly moduleRef: ModuleRef) {}

  async start(dataDir: string): Promise<EmbeddedPostgres> {
    this.instance ??= await EmbeddedPostgres.start(dataDir);
    return this.instance;
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.instance) return;
    // The pool must be closed before the server under it goes away.
    const dataSource = this.moduleRef.get(DataSource, { strict: false });
    if (dataSource.isInitialized) await dataSource.destroy();
    await this.instance.stop();
    this.instance = null;
  }
}

@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig, EmbeddedDatabase],
      extraProviders: [EmbeddedDatabase],
      useFactory: async (config: AppConfig, embedded: EmbeddedDatabase) => {
        const target = config.databaseUrl
          ? { url: config.databaseUrl }
          : (await embedded.start(join(config.dataDir, 'pgdata'))).connection;
        return dataSourceOptions(target, config.databasePoolSize, config.databaseIdleTransactionTimeoutMs);
      },
      dataSourceFactory: async (options) => {
        const dataSource = await new DataSource(options!).initialize();
        await migrate(dataSource);
        return dataSource;
      },
    }),
  ],
})
export class DatabaseModule {}
