import { Body, Controller, Delete, HttpCode, Param, Put, Res, UseGuards } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiHeader,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../auth/auth-context.js';
import { SessionsService } from '../auth/sessions.service.js';
import { AppError } from '../common/errors/app-error.js';
import { ApiErrors } from '../common/http/api-errors.js';
import { GroupDto } from '../groups/dto/group.dto.js';
import { GroupsService } from '../groups/groups.service.js';
import { TenantsService } from '../orgs/tenants.service.js';
import { FriendsService } from '../users/friends.service.js';
import { UsersService } from '../users/users.service.js';
import {
  ServiceFriendshipDto,
  ServiceGroupDto,
  ServiceUserDto,
  UpsertServiceUserDto,
} from './provisioning.dto.js';
import { ServiceKeyGuard } from './service-key.guard.js';

const externalIdOf = (raw: string): string => {
  if (raw.length < 1 || raw.length > 255) throw AppError.validation('externalId must be 1-255 characters');
  return raw;
};

/** The host system keeps Relay's users, friendships and groups in step with its own. */
@ApiTags('service')
@ApiSecurity('service-key')
@ApiHeader({ name: 'X-Service-Key', required: true })
@ApiErrors(401)
@Public()
@UseGuards(ServiceKeyGuard)
@Controller('service')
export class ProvisioningController {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly friends: FriendsService,
    private readonly groups: GroupsService,
    private readonly tenants: TenantsService,
  ) {}

  @Put('users/:externalId')
  @ApiOperation({
    summary: 'Create or update a user by the host’s id (201 created, 200 updated; reactivates)',
  })
  @ApiCreatedResponse({ type: ServiceUserDto })
  @ApiOkResponse({ type: ServiceUserDto })
  @ApiErrors(400, 404)
  async upsertUser(
    @Param('externalId') raw: string,
    @Body() body: UpsertServiceUserDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ServiceUserDto> {
    const externalId = externalIdOf(raw);
    if (body.tenantId) await this.tenants.requireTenant(body.tenantId.toLowerCase());
    const { user, created } = await this.users.upsertExternal(
      externalId,
      { username: body.username, displayName: body.displayName },
      true,
    );
    if (body.tenantId) await this.tenants.ensureMember(body.tenantId.toLowerCase(), user.id);
    res.status(created ? 201 : 200);
    return {
      id: user.id,
      externalId,
      username: user.username,
      displayName: user.displayName,
      createdAt: user.createdAt.toISOString(),
    };
  }

  @Delete('users/:externalId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Deactivate a user: sessions revoked, sockets closed at once' })
  @ApiNoContentResponse()
  @ApiErrors(404)
  async deactivate(@Param('externalId') raw: string): Promise<void> {
    const user = await this.users.findByExternalId(externalIdOf(raw));
    if (!user) throw AppError.notFound('User');
    await this.users.deactivate(user.id);
    await this.sessions.revokeAllOf(user.id, 'deactivated');
  }

  @Put('friendships')
  @HttpCode(200)
  @ApiOperation({ summary: 'Make two users (by externalId) friends; idempotent' })
  @ApiOkResponse({ schema: { example: { a: '6f1d0f8e-…', b: '2c4e…', created: true } } })
  @ApiErrors(400, 404)
  async friendship(@Body() body: ServiceFriendshipDto): Promise<{ a: string; b: string; created: boolean }> {
    if (body.a === body.b) throw AppError.validation('a and b must be different users');
    const [a, b] = await Promise.all([
      this.users.findByExternalId(body.a),
      this.users.findByExternalId(body.b),
    ]);
    if (!a || !b)
      throw new AppError('NOT_FOUND', 'User not found', {
        missing: [!a && body.a, !b && body.b].filter(Boolean),
      });
    return { a: a.id, b: b.id, created: await this.friends.makeFriends(a.id, b.id) };
  }

  @Put('groups/:externalId')
  @ApiOperation({ summary: 'Create or update a group by the host’s id, with exactly these members' })
  @ApiCreatedResponse({ type: GroupDto })
  @ApiOkResponse({ type: GroupDto })
  @ApiErrors(400, 404)
  async group(
    @Param('externalId') raw: string,
    @Body() body: ServiceGroupDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<GroupDto> {
    const externalId = externalIdOf(raw);
    const wanted = [...new Set(body.memberExternalIds)];
    const found = await this.users.findManyByExternalId(wanted);
    const missing = wanted.filter((id) => !found.has(id));
    if (missing.length > 0)
      throw new AppError('NOT_FOUND', 'Some users do not exist', { missing: missing.slice(0, 50) });
    const { group, created } = await this.groups.mirror(externalId, body.name.trim(), [...found.values()]);
    res.status(created ? 201 : 200);
    return group;
  }
}
