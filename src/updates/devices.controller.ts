import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AdminOnly, Public } from '../common/auth/auth-context.js';
import { ApiErrors } from '../common/http/api-errors.js';
import { DEFAULT_PAGE_SIZE, type Page, PageQueryDto } from '../common/pagination/cursor.js';
import { ClientKeysService } from './client-keys.service.js';
import { DevicesService } from './devices.service.js';
import {
  ClientKeyDto,
  ClientKeyPageDto,
  ClientKeySecretDto,
  CreateClientKeyDto,
  DeviceDto,
  DevicePageDto,
  DeviceQueryDto,
  InstallStatDto,
  InstallStatPageDto,
  RegisterDeviceDto,
} from './dto/updates.dto.js';

@ApiTags('devices')
@Controller()
export class DevicesController {
  constructor(
    private readonly devices: DevicesService,
    private readonly keys: ClientKeysService,
  ) {}

  @Public()
  @Post('devices')
  @ApiOperation({ summary: 'Register or update this installation (201 first time, 200 after)' })
  @ApiCreatedResponse({ type: DeviceDto })
  @ApiOkResponse({ type: DeviceDto })
  @ApiErrors(400, 429)
  async register(
    @Body() body: RegisterDeviceDto,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<DeviceDto> {
    const { device, created } = await this.devices.register(body, req.ip ?? 'unknown');
    res.status(created ? 201 : 200);
    return device;
  }

  @Get('devices')
  @AdminOnly()
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Registered devices, most recently seen first (admin)' })
  @ApiOkResponse({ type: DevicePageDto })
  @ApiErrors(400, 401, 403)
  list(@Query() query: DeviceQueryDto): Promise<DevicePageDto> {
    return this.devices.list(
      { platform: query.platform, appVersion: query.appVersion },
      query.limit ?? DEFAULT_PAGE_SIZE,
      query.cursor,
    );
  }

  @Get('stats/installs')
  @AdminOnly()
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Installs per platform and app version (admin)' })
  @ApiOkResponse({ type: InstallStatPageDto })
  @ApiErrors(400, 401, 403)
  installs(@Query() query: PageQueryDto): Promise<Page<InstallStatDto>> {
    return this.devices.installs(query.limit ?? DEFAULT_PAGE_SIZE, query.cursor);
  }

  @Post('client-keys')
  @AdminOnly()
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Create a client signing key (admin); the secret is shown once' })
  @ApiCreatedResponse({ type: ClientKeySecretDto })
  @ApiErrors(400, 401, 403)
  async createKey(@Body() body: CreateClientKeyDto): Promise<ClientKeySecretDto> {
    const { key, secret } = await this.keys.create(body.name);
    return { keyId: key.keyId, name: key.name, secret };
  }

  @Get('client-keys')
  @AdminOnly()
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Client signing keys (admin), without their secrets' })
  @ApiOkResponse({ type: ClientKeyPageDto })
  @ApiErrors(400, 401, 403)
  async listKeys(@Query() query: PageQueryDto): Promise<Page<ClientKeyDto>> {
    const page = await this.keys.list(query.limit ?? DEFAULT_PAGE_SIZE, query.cursor);
    return {
      items: page.items.map((k) => ({
        keyId: k.keyId,
        name: k.name,
        createdAt: new Date(k.createdAt).toISOString(),
        revokedAt: k.revokedAt ? new Date(k.revokedAt).toISOString() : null,
      })),
      nextCursor: page.nextCursor,
    };
  }

  @Delete('client-keys/:keyId')
  @AdminOnly()
  @ApiBearerAuth()
  @HttpCode(204)
  @ApiOperation({
    summary: 'Revoke a client signing key (admin); requests signed with it are refused at once',
  })
  @ApiNoContentResponse()
  @ApiErrors(401, 403, 404)
  async revokeKey(@Param('keyId') keyId: string): Promise<void> {
    await this.keys.revoke(keyId.slice(0, 40));
  }
}
