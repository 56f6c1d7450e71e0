import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { AdminOnly } from '../auth/auth-context.js';
import { SessionsService } from '../auth/sessions.service.js';
import { ApiErrors } from '../common/http/api-errors.js';
import { UsersService } from '../users/users.service.js';

export class AdminStatsDto {
  @ApiProperty({ description: 'Active (not deactivated) users' }) users!: number;
  @ApiProperty({ description: 'Sessions that are neither revoked nor expired' }) liveSessions!: number;
}

@ApiTags('admin')
@ApiBearerAuth()
@AdminOnly()
@ApiErrors(401, 403)
@Controller('admin')
export class AdminController {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
  ) {}

  @Get('stats')
  @ApiOperation({ summary: 'Service statistics (admin)' })
  @ApiOkResponse({ type: AdminStatsDto })
  async stats(): Promise<AdminStatsDto> {
    const [users, liveSessions] = await Promise.all([this.users.count(), this.sessions.countLive()]);
    return { users, liveSessions };
  }
}
