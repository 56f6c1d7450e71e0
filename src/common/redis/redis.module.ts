import { Global, Module } from '@nestjs/common';
import { OnceStore } from './once-store.js';
import { RedisService } from './redis.service.js';

@Global()
@Module({ providers: [RedisService, OnceStore], exports: [RedisService, OnceStore] })
export class RedisModule {}
