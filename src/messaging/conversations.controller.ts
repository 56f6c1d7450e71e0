import { Body, Controller, Delete, Get, HttpCode, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type AuthUser, CurrentUser } from '../common/auth/auth-context.js';
import { ApiErrors } from '../common/http/api-errors.js';
import { UuidParam } from '../common/http/uuid-param.js';
import { DEFAULT_PAGE_SIZE, PageQueryDto } from '../common/pagination/cursor.js';
import { ConversationPageDto, MuteDto, SeqDto } from './dto/conversation.dto.js';
import { MessageRangeDto, MessageRangeQueryDto } from './dto/message.dto.js';
import { HistoryService } from './history.service.js';
import { InboxService } from './inbox.service.js';
import { ReceiptsService } from './receipts.service.js';

@ApiTags('conversations')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('conversations')
export class ConversationsController {
  constructor(
    private readonly inbox: InboxService,
    private readonly history: HistoryService,
    private readonly receipts: ReceiptsService,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'The caller’s conversations, most recent first, with unread counts and last message',
  })
  @ApiOkResponse({ type: ConversationPageDto })
  @ApiErrors(400)
  list(@CurrentUser() auth: AuthUser, @Query() query: PageQueryDto): Promise<ConversationPageDto> {
    return this.inbox.list(auth.userId, query.limit ?? DEFAULT_PAGE_SIZE, query.cursor);
  }

  @Get(':id/messages')
  @ApiOperation({
    summary: 'Messages of a conversation by seq, ascending',
    description:
      'afterSeq: the next ones; beforeSeq: the ones before (newest first chosen); neither: the newest.',
  })
  @ApiOkResponse({ type: MessageRangeDto })
  @ApiErrors(400, 404)
  messagesOf(
    @CurrentUser() auth: AuthUser,
    @UuidParam('id') id: string,
    @Query() query: MessageRangeQueryDto,
  ): Promise<MessageRangeDto> {
    return this.history.range(auth.userId, id, {
      afterSeq: query.afterSeq,
      beforeSeq: query.beforeSeq,
      limit: query.limit ?? DEFAULT_PAGE_SIZE,
    });
  }

  @Put(':id/mute')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Mute notifications of a conversation',
    description: 'until: an ISO time, or null / absent for until unmuted. Messages still arrive.',
  })
  @ApiNoContentResponse()
  @ApiErrors(400, 404)
  async mute(
    @CurrentUser() auth: AuthUser,
    @UuidParam('id') id: string,
    @Body() body: MuteDto,
  ): Promise<void> {
    await this.inbox.mute(auth.userId, id, body.until ? new Date(body.until) : null);
  }

  @Delete(':id/mute')
  @HttpCode(204)
  @ApiOperation({ summary: 'Unmute notifications of a conversation' })
  @ApiNoContentResponse()
  @ApiErrors(400, 404)
  async unmute(@CurrentUser() auth: AuthUser, @UuidParam('id') id: string): Promise<void> {
    await this.inbox.unmute(auth.userId, id);
  }

  @Post(':id/read')
  @HttpCode(204)
  @ApiOperation({ summary: 'Mark the conversation read up to seq (never moves back)' })
  @ApiNoContentResponse()
  @ApiErrors(400, 404)
  async read(
    @CurrentUser() auth: AuthUser,
    @UuidParam('id') id: string,
    @Body() body: SeqDto,
  ): Promise<void> {
    await this.receipts.markRead(auth.userId, id, body.seq);
  }
}
