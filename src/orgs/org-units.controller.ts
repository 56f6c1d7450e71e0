import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type AuthUser, CurrentUser } from '../common/auth/auth-context.js';
import { ApiErrors } from '../common/http/api-errors.js';
import { UuidParam } from '../common/http/uuid-param.js';
import { DEFAULT_PAGE_SIZE, type Page } from '../common/pagination/cursor.js';
import {
  OrgUnitDto,
  UnitMemberDto,
  UnitMemberPageDto,
  UnitMembersQueryDto,
  UpdateOrgUnitDto,
  UserIdsDto,
} from './dto/orgs.dto.js';
import { OrgUnitsService } from './org-units.service.js';
import { toOrgUnitDto } from './tenants.controller.js';

@ApiTags('organisations')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('org-units')
export class OrgUnitsController {
  constructor(private readonly units: OrgUnitsService) {}

  @Post(':id/members')
  @HttpCode(200)
  @ApiOperation({ summary: 'Add tenant members to a unit (tenant owner or admin)' })
  @ApiOkResponse({ schema: { example: { added: ['6f1d0f8e-9c55-4a5e-8a43-5d8f0c2a4b11'] } } })
  @ApiErrors(400, 403, 404)
  async addMembers(
    @CurrentUser() auth: AuthUser,
    @UuidParam('id') id: string,
    @Body() body: UserIdsDto,
  ): Promise<{ added: string[] }> {
    return { added: await this.units.addMembers(auth.userId, id, body.userIds) };
  }

  @Get(':id/members')
  @ApiOperation({ summary: 'Members of a unit; recursive=true includes every unit below it' })
  @ApiOkResponse({ type: UnitMemberPageDto })
  @ApiErrors(400, 404)
  members(
    @CurrentUser() auth: AuthUser,
    @UuidParam('id') id: string,
    @Query() query: UnitMembersQueryDto,
  ): Promise<Page<UnitMemberDto>> {
    return this.units.members(auth.userId, id, {
      recursive: query.recursive ?? false,
      limit: query.limit ?? DEFAULT_PAGE_SIZE,
      cursor: query.cursor,
    });
  }

  @Delete(':id/members/:userId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a member from a unit (tenant owner or admin)' })
  @ApiNoContentResponse()
  @ApiErrors(400, 403, 404)
  async removeMember(
    @CurrentUser() auth: AuthUser,
    @UuidParam('id') id: string,
    @UuidParam('userId') userId: string,
  ): Promise<void> {
    await this.units.removeMember(auth.userId, id, userId);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Rename or move a unit (no cycles: 409 when moved under itself or a descendant)' })
  @ApiOkResponse({ type: OrgUnitDto })
  @ApiErrors(400, 403, 404, 409)
  async update(
    @CurrentUser() auth: AuthUser,
    @UuidParam('id') id: string,
    @Body() body: UpdateOrgUnitDto,
  ): Promise<OrgUnitDto> {
    return toOrgUnitDto(
      await this.units.update(auth.userId, id, {
        name: body.name,
        parentId: body.parentId === undefined ? undefined : (body.parentId ?? null),
      }),
    );
  }
}
