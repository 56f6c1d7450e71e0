import { Global, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { FileStore } from './file-store.js';
import { LocalFileStore } from './local-file-store.js';
import { S3FileStore } from './s3-file-store.js';

/** The one {@link FileStore} of this node, as STORAGE_DRIVER says. */
@Global()
@Module({
  providers: [
    {
      provide: FileStore,
      inject: [AppConfig],
      useFactory: (config: AppConfig): FileStore =>
        config.storage.driver === 's3'
          ? new S3FileStore(config.storage.s3!)
          : new LocalFileStore(config.dataDir),
    },
  ],
  exports: [FileStore],
})
export class StorageModule {}
