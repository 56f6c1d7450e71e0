import { Controller, Get, HttpCode, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../common/auth/auth-context.js';
import { SkipSignature } from '../common/http/skip-signature.js';
import { HealthService } from './health.service.js';

class ReadinessDto {
  status!: 'ok' | 'unavailable';
  database!: boolean;
  redis!: boolean | null;
  draining!: boolean;
}

@ApiTags('operations')
@Public()
@SkipSignature()
@Controller()
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get('healthz')
  @HttpCode(200)
  @ApiOperation({ summary: 'Liveness: the process answers' })
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('readyz')
  @ApiOperation({ summary: 'Readiness: not draining, and the database (and Redis, when configured) answer' })
  @ApiOkResponse({ schema: { example: { status: 'ok', database: true, redis: null, draining: false } } })
  @ApiServiceUnavailableResponse({
    schema: { example: { status: 'unavailable', database: false, redis: null, draining: false } },
  })
  async ready(@Res({ passthrough: true }) res: Response): Promise<ReadinessDto> {
    const readiness = await this.health.readiness();
    res.status(readiness.status === 'ok' ? 200 : 503);
    return readiness;
  }
}
