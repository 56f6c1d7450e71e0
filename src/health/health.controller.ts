import { Controller, Get, HttpCode, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { Public } from '../auth/auth-context.js';
import { RedisService } from '../common/redis/redis.service.js';
import { SkipSignature } from '../updates/signature.guard.js';

class ReadinessDto {
  status!: 'ok' | 'unavailable';
  database!: boolean;
  redis!: boolean | null;
}

@ApiTags('operations')
@Public()
@SkipSignature()
@Controller()
export class HealthController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly redis: RedisService,
  ) {}

  @Get('healthz')
  @HttpCode(200)
  @ApiOperation({ summary: 'Liveness: the process answers' })
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('readyz')
  @ApiOperation({ summary: 'Readiness: the database (and Redis, when configured) answer' })
  @ApiOkResponse({ schema: { example: { status: 'ok', database: true, redis: null } } })
  @ApiServiceUnavailableResponse({
    schema: { example: { status: 'unavailable', database: false, redis: null } },
  })
  async ready(@Res({ passthrough: true }) res: Response): Promise<ReadinessDto> {
    const database = await this.dataSource
      .query('SELECT 1')
      .then(() => true)
      .catch(() => false);
    const redis = this.redis.client ? await this.redis.ping() : null;
    const ok = database && redis !== false;
    res.status(ok ? 200 : 503);
    return { status: ok ? 'ok' : 'unavailable', database, redis };
  }
}
