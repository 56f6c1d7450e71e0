import { Body, Controller, Delete, Get, HttpCode, Post, Put, Query, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { type AuthUser, CurrentUser, Public } from '../common/auth/auth-context.js';
import { ApiErrors } from '../common/http/api-errors.js';
import { UuidParam } from '../common/http/uuid-param.js';
import { DEFAULT_PAGE_SIZE, PageQueryDto } from '../common/pagination/cursor.js';
import {
  CreatePushSubscriptionDto,
  NotificationSettingsDto,
  PushSubscriptionDto,
  PushSubscriptionPageDto,
  UpdateNotificationSettingsDto,
  VapidPublicKeyDto,
} from './dto/notifications.dto.js';
import { NotificationSettingsService } from './notification-settings.service.js';
import { PushSubscriptionsService } from './push-subscriptions.service.js';
import { VapidKeys } from './vapid-keys.js';

@ApiTags('notifications')
@ApiErrors(401)
@Controller()
export class NotificationsController {
  constructor(
    private readonly subscriptions: PushSubscriptionsService,
    private readonly settings: NotificationSettingsService,
    private readonly vapid: VapidKeys,
  ) {}

  @Post('push-subscriptions')
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Register this device for push notifications',
    description:
      'Bound to the caller’s current session (revoking it deletes the subscription). The same endpoint or token again answers 200 with the same id.',
  })
  @ApiCreatedResponse({ type: PushSubscriptionDto })
  @ApiOkResponse({ type: PushSubscriptionDto, description: 'Already registered' })
  @ApiErrors(400, 429)
  async subscribe(
    @CurrentUser() auth: AuthUser,
    @Body() body: CreatePushSubscriptionDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<PushSubscriptionDto> {
    const { subscription, created } = await this.subscriptions.subscribe(auth, body);
    res.status(created ? 201 : 200);
    return subscription;
  }

  @Get('push-subscriptions')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'The caller’s push subscriptions, on all sessions' })
  @ApiOkResponse({ type: PushSubscriptionPageDto })
  @ApiErrors(400)
  list(@CurrentUser() auth: AuthUser, @Query() query: PageQueryDto): Promise<PushSubscriptionPageDto> {
    return this.subscriptions.list(auth.userId, query.limit ?? DEFAULT_PAGE_SIZE, query.cursor);
  }

  @Delete('push-subscriptions/:id')
  @ApiBearerAuth()
  @HttpCode(204)
  @ApiOperation({ summary: 'Stop push notifications to a device' })
  @ApiNoContentResponse()
  @ApiErrors(400, 404)
  async unsubscribe(@CurrentUser() auth: AuthUser, @UuidParam('id') id: string): Promise<void> {
    await this.subscriptions.remove(auth.userId, id);
  }

  @Public()
  @Get('push/vapid-public-key')
  @ApiOperation({ summary: 'The applicationServerKey for PushManager.subscribe()' })
  @ApiOkResponse({ type: VapidPublicKeyDto })
  vapidPublicKey(): VapidPublicKeyDto {
    return { publicKey: this.vapid.current.publicKey };
  }

  @Get('users/me/notification-settings')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'The caller’s notification settings' })
  @ApiOkResponse({ type: NotificationSettingsDto })
  getSettings(@CurrentUser() auth: AuthUser): Promise<NotificationSettingsDto> {
    return this.settings.get(auth.userId);
  }

  @Put('users/me/notification-settings')
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Change notification settings',
    description:
      'showPreviews: false sends "New message" instead of the text; doNotDisturbUntil: no notifications until then (null ends it).',
  })
  @ApiOkResponse({ type: NotificationSettingsDto })
  @ApiErrors(400)
  putSettings(
    @CurrentUser() auth: AuthUser,
    @Body() body: UpdateNotificationSettingsDto,
  ): Promise<NotificationSettingsDto> {
    return this.settings.update(auth.userId, body);
  }
}
