import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { MulterModule } from '@nestjs/platform-express';
import { TypeOrmModule } from '@nestjs/typeorm';
import { join } from 'node:path';
import { AppConfig } from '../common/config/app-config.js';
import { ClientKey } from './client-key.entity.js';
import { ClientKeysService } from './client-keys.service.js';
import { Device } from './device.entity.js';
import { DevicesController } from './devices.controller.js';
import { DevicesService } from './devices.service.js';
import { HashingDiskStorage } from './hashing-storage.js';
import { PlatformPolicy, Release } from './release.entity.js';
import { ReleasesController } from './releases.controller.js';
import { ReleasesService } from './releases.service.js';
import { SignatureGuard } from './signature.guard.js';
import { UpdatesGateway } from './updates.gateway.js';

@Module({
  imports: [
    TypeOrmModule.forFeature([Release, PlatformPolicy, Device, ClientKey]),
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
      }),
    }),
  ],
  controllers: [ReleasesController, DevicesController],
  providers: [
    ReleasesService,
    DevicesService,
    ClientKeysService,
    UpdatesGateway,
    { provide: APP_GUARD, useClass: SignatureGuard },
  ],
})
export class UpdatesModule {}
