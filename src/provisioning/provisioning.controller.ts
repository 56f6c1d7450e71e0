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
import { Public } from '../common/auth/auth-context.js';
import { AppError } from '../common/errors/app-error.js';
import { ApiErrors } from '../common/http/api-errors.js';
import { GroupDto } from '../groups/dto/group.dto.js';
import {
  ServiceFriendshipDto,
  ServiceGroupDto,
  ServiceUserDto,
  UpsertServiceUserDto,
} from './provisioning.dto.js';
import { ProvisioningService } from './provisioning.service.js';
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
  constructor(private readonly provisioning: ProvisioningService) {}

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
    const { user, created } = await this.provisioning.upsertUser(externalIdOf(raw), body);
    res.status(created ? 201 : 200);
    return user;
  }

  @Delete('users/:externalId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Deactivate a user: sessions revoked, sockets closed at once' })
  @ApiNoContentResponse()
  @ApiErrors(404)
  async deactivate(@Param('externalId') raw: string): Promise<void> {
    await this.provisioning.deactivate(externalIdOf(raw));
  }

  @Put('friendships')
  @HttpCode(200)
  @ApiOperation({ summary: 'Make two users (by externalId) friends; idempotent' })
  @ApiOkResponse({ schema: { example: { a: '6f1d0f8e-…', b: '2c4e…', created: true } } })
  @ApiErrors(400, 404)
  friendship(@Body() body: ServiceFriendshipDto): Promise<{ a: string; b: string; created: boolean }> {
    return this.provisioning.friendship(body.a, body.b);
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
    const { group, created } = await this.provisioning.group(
      externalIdOf(raw),
      body.name,
      body.memberExternalIds,
    );
    res.status(created ? 201 : 200);
    return group;
  }
}
