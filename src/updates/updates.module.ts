import { Module } from '@nestjs/common';
import { ConnectionsModule } from '../connections/connections.module.js';
import { APP_GUARD } from '@nestjs/core';
import { MulterModule } from '@nestjs/platform-express';
import { join } from 'node:path';
import { AppConfig } from '../common/config/app-config.js';
import { ClientKeysRepository } from './client-keys.repository.js';
import { ClientKeysService } from './client-keys.service.js';
import { DevicesController } from './devices.controller.js';
import { DevicesRepository } from './devices.repository.js';
import { DevicesService } from './devices.service.js';
import { HashingDiskStorage } from './hashing-storage.js';
import { ReleasesController } from './releases.controller.js';
import { ReleasesRepository } from './releases.repository.js';
import { ReleasesService } from './releases.service.js';
import { SignatureGuard } from './signature.guard.js';
import { UpdatesGateway } from './updates.gateway.js';

@Module({
  imports: [
    ConnectionsModule,
    MulterModule.registerAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        storage: new HashingDiskStorage(join(config.dataDir, 'releases', 'incoming')),
        limits: {
          fileSize: config.limits.releaseBytes,
          files: 1,
          fields: 10,
          parts: 12,
          fieldSize: 16 * 1024,
        },
        defParamCharset: 'utf8',
      }),
    }),
  ],
  controllers: [ReleasesController, DevicesController],
  providers: [
    ReleasesRepository,
    DevicesRepository,
    ClientKeysRepository,
    ReleasesService,
    DevicesService,
    ClientKeysService,
    UpdatesGateway,
    { provide: APP_GUARD, useClass: SignatureGuard },
  ],
})
export class UpdatesModule {}
