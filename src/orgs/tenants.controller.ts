import { Body, Controller, Get, HttpCode, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminOnly, type AuthUser, CurrentUser } from '../common/auth/auth-context.js';
import { ApiErrors } from '../common/http/api-errors.js';
import { UuidParam } from '../common/http/uuid-param.js';
import { DEFAULT_PAGE_SIZE, type Page, PageQueryDto } from '../common/pagination/cursor.js';
import {
  AddTenantMemberDto,
  CreateOrgUnitDto,
  CreateTenantDto,
  OrgUnitDto,
  OrgUnitNodeDto,
  QuotaDto,
  QuotaUsageDto,
  TenantDto,
  TenantPageDto,
  TenantMemberDto,
} from './dto/orgs.dto.js';
import type { OrgUnit } from './org-unit.entity.js';
import { OrgUnitsService } from './org-units.service.js';
import { TenantsService } from './tenants.service.js';

export const toOrgUnitDto = (u: OrgUnit): OrgUnitDto => ({
  id: u.id,
  tenantId: u.tenantId,
  parentId: u.parentId,
  name: u.name,
  conversationId: u.conversationId,
  createdAt: u.createdAt.toISOString(),
});

@ApiTags('organisations')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('tenants')
export class TenantsController {
  constructor(
    private readonly tenants: TenantsService,
    private readonly units: OrgUnitsService,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Create a tenant; the caller becomes its owner' })
  @ApiCreatedResponse({ type: TenantDto })
  @ApiErrors(400)
  async create(@CurrentUser() auth: AuthUser, @Body() body: CreateTenantDto): Promise<TenantDto> {
    const t = await this.tenants.create(auth.userId, body.name);
    return { id: t.id, name: t.name, role: t.role, createdAt: t.createdAt.toISOString() };
  }

  @Get()
  @ApiOperation({ summary: 'Tenants the caller belongs to, oldest first' })
  @ApiOkResponse({ type: TenantPageDto })
  @ApiErrors(400)
  async mine(@CurrentUser() auth: AuthUser, @Query() query: PageQueryDto): Promise<Page<TenantDto>> {
    const page = await this.tenants.listMine(auth.userId, query.limit ?? DEFAULT_PAGE_SIZE, query.cursor);
    return {
      items: page.items.map((t) => ({
        id: t.id,
        name: t.name,
        role: t.role,
        createdAt: t.createdAt.toISOString(),
      })),
      nextCursor: page.nextCursor,
    };
  }

  @Post(':id/members')
  @ApiOperation({ summary: 'Add a member or change their role (admins add members; the owner grants admin)' })
  @ApiCreatedResponse({ type: TenantMemberDto })
  @ApiErrors(400, 403, 404, 409)
  async addMember(
    @CurrentUser() auth: AuthUser,
    @UuidParam('id') id: string,
    @Body() body: AddTenantMemberDto,
  ): Promise<TenantMemberDto> {
    const m = await this.tenants.addMember(auth.userId, id, body.userId, body.role);
    return { tenantId: m.tenantId, userId: m.userId, role: m.role };
  }

  @Post(':id/org-units')
  @ApiOperation({
    summary: 'Create an org unit (tenant owner or admin); it gets an announcement conversation',
  })
  @ApiCreatedResponse({ type: OrgUnitDto })
  @ApiErrors(400, 403, 404)
  async createUnit(
    @CurrentUser() auth: AuthUser,
    @UuidParam('id') id: string,
    @Body() body: CreateOrgUnitDto,
  ): Promise<OrgUnitDto> {
    return toOrgUnitDto(await this.units.create(auth.userId, id, body.name, body.parentId?.toLowerCase()));
  }

  @Get(':id/org-units')
  @ApiOperation({ summary: 'The tenant’s org units as a tree (tenant members)' })
  @ApiOkResponse({ type: [OrgUnitNodeDto] })
  @ApiErrors(400, 404)
  tree(@CurrentUser() auth: AuthUser, @UuidParam('id') id: string): Promise<OrgUnitNodeDto[]> {
    return this.units.tree(auth.userId, id);
  }

  @Get(':id/quota')
  @AdminOnly()
  @ApiOperation({ summary: 'The tenant’s daily quotas and today’s use (admin)' })
  @ApiOkResponse({ type: QuotaUsageDto })
  @ApiErrors(400, 403, 404)
  quota(@UuidParam('id') id: string): Promise<QuotaUsageDto> {
    return this.tenants.quota(id);
  }

  @Put(':id/quota')
  @AdminOnly()
  @HttpCode(200)
  @ApiOperation({ summary: 'Set the tenant’s daily quotas (admin); null lifts a quota' })
  @ApiOkResponse({ type: QuotaUsageDto })
  @ApiErrors(400, 403, 404)
  async setQuota(@UuidParam('id') id: string, @Body() body: QuotaDto): Promise<QuotaUsageDto> {
    await this.tenants.setQuota(id, body);
    return this.tenants.quota(id);
  }
}
