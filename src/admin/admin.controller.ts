import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { AdminOnly } from '../auth/auth-context.js';
import { SessionsService } from '../auth/sessions.service.js';
import { ApiErrors } from '../common/http/api-errors.js';
import { MessagesService } from '../messaging/messages.service.js';
import { PresenceService } from '../messaging/presence.service.js';
import { TenantsService } from '../orgs/tenants.service.js';
import { UsersService } from '../users/users.service.js';

export class TenantUsageDto {
  @ApiProperty({ format: 'uuid' }) tenantId!: string;
  @ApiProperty() name!: string;
  @ApiProperty() appPushes!: number;
  @ApiProperty() messages!: number;
}

export class AdminStatsDto {
  @ApiProperty({ description: 'Active (not deactivated) users' }) users!: number;
  @ApiProperty({ description: 'Sessions that are neither revoked nor expired' }) liveSessions!: number;
  @ApiProperty({ description: 'Users with at least one connected socket, on any node' }) onlineUsers!: number;
  @ApiProperty({ description: 'Connected sockets, on all nodes' }) sockets!: number;
  @ApiProperty({ description: 'Messages stored since 00:00 UTC' }) messagesToday!: number;
  @ApiProperty({ type: [TenantUsageDto], description: 'Per-tenant application pushes and messages today' })
  tenantsToday!: TenantUsageDto[];
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
    private readonly presence: PresenceService,
    private readonly messages: MessagesService,
    private readonly tenants: TenantsService,
  ) {}

  @Get('stats')
  @ApiOperation({ summary: 'Service statistics (admin)' })
  @ApiOkResponse({ type: AdminStatsDto })
  async stats(): Promise<AdminStatsDto> {
    const [users, liveSessions, online, messagesToday, tenantsToday] = await Promise.all([
      this.users.count(),
      this.sessions.countLive(),
      this.presence.totals(),
      this.messages.countToday(),
      this.tenants.usageToday(),
    ]);
    return {
      users,
      liveSessions,
      onlineUsers: online.onlineUsers,
      sockets: online.sockets,
      messagesToday,
      tenantsToday,
    };
  }
}
