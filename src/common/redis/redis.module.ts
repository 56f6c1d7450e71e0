import { Global, Module } from '@nestjs/common';
import { CacheService } from '../cache/cache.service.js';
import { ClusterBus } from './cluster-bus.js';
import { OnceStore } from './once-store.js';
import { RedisService } from './redis.service.js';

@Global()
@Module({
  providers: [RedisService, OnceStore, ClusterBus, CacheService],
  exports: [RedisService, OnceStore, ClusterBus, CacheService],
})
export class RedisModule {}
