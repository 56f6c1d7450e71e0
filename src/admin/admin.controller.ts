import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminOnly } from '../common/auth/auth-context.js';
import { ApiErrors } from '../common/http/api-errors.js';
import { AdminStatsDto } from './admin.dto.js';
import { AdminStatsService } from './admin-stats.service.js';

@ApiTags('admin')
@ApiBearerAuth()
@AdminOnly()
@ApiErrors(401, 403)
@Controller('admin')
export class AdminController {
  constructor(private readonly statistics: AdminStatsService) {}

  @Get('stats')
  @ApiOperation({ summary: 'Service statistics (admin)' })
  @ApiOkResponse({ type: AdminStatsDto })
  stats(): Promise<AdminStatsDto> {
    return this.statistics.stats();
  }
}
