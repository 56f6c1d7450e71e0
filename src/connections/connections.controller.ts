import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { type AuthUser, CurrentUser } from '../common/auth/auth-context.js';
import { ApiErrors } from '../common/http/api-errors.js';
import { DEFAULT_PAGE_SIZE, type Page, pageOf, PageQueryDto } from '../common/pagination/cursor.js';
import { FriendsService } from '../users/friends.service.js';
import { PresenceService } from './presence.service.js';

export class ConnectionDto {
  @ApiProperty({ format: 'uuid' }) userId!: string;
  @ApiProperty() username!: string;
  @ApiProperty() online!: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastSeenAt!: string | null;
}

export const ConnectionPageDto = pageOf(ConnectionDto);

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
  @ApiOkResponse({ type: ConnectionPageDto })
  @ApiErrors(400)
  async list(@CurrentUser() auth: AuthUser, @Query() query: PageQueryDto): Promise<Page<ConnectionDto>> {
    const page = await this.friends.presenceList(auth.userId, query.limit ?? DEFAULT_PAGE_SIZE, query.cursor);
    const online = await this.presence.onlineOf(page.items.map((f) => f.id));
    return {
      items: page.items.map((f) => ({
        userId: f.id,
        username: f.username,
        online: online.has(f.id),
        lastSeenAt: f.lastSeenAt?.toISOString() ?? null,
      })),
      nextCursor: page.nextCursor,
    };
  }
}
