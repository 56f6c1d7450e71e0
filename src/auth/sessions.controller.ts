import { Body, Controller, Delete, Get, HttpCode, Patch } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/http/api-errors.js';
import { UuidParam } from '../common/http/uuid-param.js';
import { type AuthUser, CurrentUser } from '../common/auth/auth-context.js';
import { SessionDto, SessionListDto, UpdateSessionDto } from './dto/auth.dto.js';
import { SessionsService } from './sessions.service.js';

@ApiTags('sessions')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Get()
  @ApiOperation({ summary: 'The caller’s live sessions (devices)' })
  @ApiOkResponse({ type: SessionListDto })
  async list(@CurrentUser() auth: AuthUser): Promise<SessionListDto> {
    const sessions = await this.sessions.listLive(auth.userId);
    return { items: sessions.map((s) => SessionDto.from(s, auth.sessionId)), nextCursor: null };
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Mark a session active or inactive',
    description:
      'Apps mark their session inactive in the background; pushes can target active sessions only.',
  })
  @ApiOkResponse({ type: SessionDto })
  @ApiErrors(400, 404)
  async update(
    @CurrentUser() auth: AuthUser,
    @UuidParam('id') id: string,
    @Body() body: UpdateSessionDto,
  ): Promise<SessionDto> {
    return SessionDto.from(await this.sessions.setState(auth.userId, id, body.state), auth.sessionId);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke one of the caller’s sessions (sign a device out)' })
  @ApiNoContentResponse()
  @ApiErrors(400, 404)
  async revoke(@CurrentUser() auth: AuthUser, @UuidParam('id') id: string): Promise<void> {
    await this.sessions.revokeOwn(auth.userId, id);
  }
}
