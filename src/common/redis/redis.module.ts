import { Global, Module } from '@nestjs/common';
import { ClusterBus } from './cluster-bus.js';
import { OnceStore } from './once-store.js';
import { RedisService } from './redis.service.js';

@Global()
@Module({ providers: [RedisService, OnceStore, ClusterBus], exports: [RedisService, OnceStore, ClusterBus] })
export class RedisModule {}
