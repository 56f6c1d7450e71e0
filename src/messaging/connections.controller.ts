import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { type AuthUser, CurrentUser } from '../common/auth/auth-context.js';
import { ApiErrors } from '../common/http/api-errors.js';
import { FriendsService } from '../users/friends.service.js';
import { PresenceService } from './presence.service.js';

export class ConnectionDto {
  @ApiProperty({ format: 'uuid' }) userId!: string;
  @ApiProperty() username!: string;
  @ApiProperty() online!: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastSeenAt!: string | null;
}

@ApiTags('presence')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('connections')
export class ConnectionsController {
  constructor(
    private readonly friends: FriendsService,
    private readonly presence: PresenceService,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'The caller’s friends with whether they are online now and when they were last seen',
  })
  @ApiOkResponse({ type: [ConnectionDto] })
  async list(@CurrentUser() auth: AuthUser): Promise<ConnectionDto[]> {
    const friends = await this.friends.presenceList(auth.userId);
    const online = await this.presence.onlineOf(friends.map((f) => f.id));
    return friends.map((f) => ({
      userId: f.id,
      username: f.username,
      online: online.has(f.id),
      lastSeenAt: f.lastSeenAt?.toISOString() ?? null,
    }));
  }
}
