import { Body, Controller, Delete, Get, HttpCode, Post, Query, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiHeader,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import { type AuthUser, CurrentUser, Public } from '../common/auth/auth-context.js';
import { ApiErrors } from '../common/http/api-errors.js';
import { UuidParam } from '../common/http/uuid-param.js';
import { DEFAULT_PAGE_SIZE, type Page, PageQueryDto } from '../common/pagination/cursor.js';
import type { App } from './app.entity.js';
import { AppKeyGuard, CallingApp } from './app-key.guard.js';
import { AppsService } from './apps.service.js';
import { AppDto, AppPageDto, AppWithKeyDto, CreateAppDto, PushDto, PushResultDto } from './dto/apps.dto.js';

const toDto = (a: App): AppDto => ({
  id: a.id,
  tenantId: a.tenantId,
  name: a.name,
  createdAt: a.createdAt.toISOString(),
});

@ApiTags('applications')
@Controller()
export class AppsController {
  constructor(private readonly apps: AppsService) {}

  @Post('tenants/:id/apps')
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Create an application of the tenant (owner or admin); its API key is shown once',
  })
  @ApiCreatedResponse({ type: AppWithKeyDto })
  @ApiErrors(400, 401, 403, 404)
  async create(
    @CurrentUser() auth: AuthUser,
    @UuidParam('id') tenantId: string,
    @Body() body: CreateAppDto,
  ): Promise<AppWithKeyDto> {
    const { app, apiKey } = await this.apps.create(auth.userId, tenantId, body.name);
    return { ...toDto(app), apiKey };
  }

  @Get('tenants/:id/apps')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'The tenant’s applications (owner or admin)' })
  @ApiOkResponse({ type: AppPageDto })
  @ApiErrors(400, 401, 403, 404)
  async list(
    @CurrentUser() auth: AuthUser,
    @UuidParam('id') tenantId: string,
    @Query() query: PageQueryDto,
  ): Promise<Page<AppDto>> {
    const page = await this.apps.list(auth.userId, tenantId, query.limit ?? DEFAULT_PAGE_SIZE, query.cursor);
    return { items: page.items.map(toDto), nextCursor: page.nextCursor };
  }

  @Post('apps/:id/rotate-key')
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Replace the application’s API key (tenant owner or admin); the old key stops working',
  })
  @ApiOkResponse({ type: AppWithKeyDto })
  @ApiErrors(400, 401, 403, 404)
  async rotate(@CurrentUser() auth: AuthUser, @UuidParam('id') id: string): Promise<AppWithKeyDto> {
    const { app, apiKey } = await this.apps.rotate(auth.userId, id);
    return { ...toDto(app), apiKey };
  }

  @Public()
  @Post('apps/push')
  @HttpCode(200)
  @ApiSecurity('app-key')
  @ApiHeader({ name: 'X-App-Key', required: true, description: 'The application’s API key' })
  @ApiOperation({
    summary: 'Push a message from the application to users of its tenant',
    description:
      'Recipients: toUserIds (at most 1000), every member of a group of the tenant, or of an org unit and the units below it. ' +
      'Each user receives it in their channel of the app (stored, ordered and synced like any message). ' +
      'The tenant’s appPushesPerDay quota covers every delivery or none (429 QUOTA_EXCEEDED).',
  })
  @ApiOkResponse({ type: PushResultDto })
  @ApiErrors(400, 401, 404, 429)
  @UseGuards(AppKeyGuard)
  push(@CallingApp() app: App, @Body() body: PushDto): Promise<PushResultDto> {
    return this.apps.push(app, body);
  }

  @Post('apps/:id/mute')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Stop receiving this application’s pushes' })
  @ApiNoContentResponse()
  @ApiErrors(400, 401, 404)
  async mute(@CurrentUser() auth: AuthUser, @UuidParam('id') id: string): Promise<void> {
    await this.apps.mute(auth.userId, id, true);
  }

  @Delete('apps/:id/mute')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Receive this application’s pushes again' })
  @ApiNoContentResponse()
  @ApiErrors(400, 401, 404)
  async unmute(@CurrentUser() auth: AuthUser, @UuidParam('id') id: string): Promise<void> {
    await this.apps.mute(auth.userId, id, false);
  }
}
