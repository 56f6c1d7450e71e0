import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { type AuthUser, CurrentUser } from '../common/auth/auth-context.js';
import { AppError } from '../common/errors/app-error.js';
import { ApiErrors } from '../common/http/api-errors.js';
import { UuidParam } from '../common/http/uuid-param.js';
import { DEFAULT_PAGE_SIZE } from '../common/pagination/cursor.js';
import { SyncDto, SyncResultDto } from './dto/conversation.dto.js';
import {
  DirectHistoryQueryDto,
  EditMessageDto,
  FriendMessageDto,
  MessageDto,
  MessageRangeDto,
  SendMessageDto,
} from './dto/message.dto.js';
import { HistoryService } from './history.service.js';
import { MessagesService } from './messages.service.js';

@ApiTags('messages')
@ApiBearerAuth()
@ApiErrors(401)
@Controller()
export class MessagesController {
  constructor(
    private readonly messages: MessagesService,
    private readonly history: HistoryService,
  ) {}

  @Post('messages')
  @ApiOperation({
    summary: 'Send a message',
    description:
      'To a user (direct; DM_POLICY and blocks apply), or to an existing conversation by id. The answer comes ' +
      'after the message is committed. A retry with the same clientMsgId answers 200 with the stored message.',
  })
  @ApiCreatedResponse({ type: MessageDto })
  @ApiOkResponse({
    type: MessageDto,
    description: 'A retry: the message stored earlier with this clientMsgId',
  })
  @ApiErrors(400, 403, 404, 429)
  async send(
    @CurrentUser() auth: AuthUser,
    @Body() body: SendMessageDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<MessageDto> {
    const { message, created } = await this.messages.send({ userId: auth.userId }, body);
    res.status(created ? 201 : 200);
    return message;
  }

  @Post('users/:id/friends/:friendId/message')
  @ApiOperation({
    summary: 'Send a direct message to a friend (compatibility route)',
    description: 'The route of the original friend-messaging service; :id must be the caller.',
  })
  @ApiCreatedResponse({ type: MessageDto })
  @ApiErrors(400, 403, 404, 429)
  async sendToFriend(
    @CurrentUser() auth: AuthUser,
    @UuidParam('id') id: string,
    @UuidParam('friendId') friendId: string,
    @Body() body: FriendMessageDto,
  ): Promise<MessageDto> {
    if (id !== auth.userId) throw AppError.forbidden('You can only send as yourself');
    const { message } = await this.messages.send(
      { userId: auth.userId },
      { to: { type: 'user', id: friendId }, body: body.body },
    );
    return message;
  }

  @Get('messages')
  @ApiOperation({
    summary: 'Direct history with one user, ascending seq (newest page when no bound is given)',
  })
  @ApiOkResponse({ type: MessageRangeDto })
  @ApiErrors(400)
  withUser(@CurrentUser() auth: AuthUser, @Query() query: DirectHistoryQueryDto): Promise<MessageRangeDto> {
    return this.history.withUser(auth.userId, query.with, {
      afterSeq: query.afterSeq,
      beforeSeq: query.beforeSeq,
      limit: query.limit ?? DEFAULT_PAGE_SIZE,
    });
  }

  @Patch('messages/:id')
  @ApiOperation({ summary: 'Edit one of the caller’s messages' })
  @ApiOkResponse({ type: MessageDto })
  @ApiErrors(400, 403, 404, 409)
  edit(
    @CurrentUser() auth: AuthUser,
    @UuidParam('id') id: string,
    @Body() body: EditMessageDto,
  ): Promise<MessageDto> {
    return this.messages.edit(auth.userId, id, body.body);
  }

  @Delete('messages/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete one of the caller’s messages (its seq stays, its content goes)' })
  @ApiNoContentResponse()
  @ApiErrors(400, 403, 404)
  async delete(@CurrentUser() auth: AuthUser, @UuidParam('id') id: string): Promise<void> {
    await this.messages.delete(auth.userId, id);
  }

  @Post('sync')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Catch up after being offline',
    description:
      'Every conversation of the caller with messages after its cursor (conversations not named start at 0), ' +
      'at most `limit` messages each, with hasMore when there are more.',
  })
  @ApiOkResponse({ type: SyncResultDto })
  @ApiErrors(400)
  sync(@CurrentUser() auth: AuthUser, @Body() body: SyncDto): Promise<SyncResultDto> {
    return this.history.syncFor(auth.userId, body);
  }
}
