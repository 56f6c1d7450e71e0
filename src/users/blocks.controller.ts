import { Controller, Delete, Get, HttpCode, Post, Query, Res } from '@nestjs/common';
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
import { ApiErrors } from '../common/http/api-errors.js';
import { UuidParam } from '../common/http/uuid-param.js';
import { DEFAULT_PAGE_SIZE, PageQueryDto } from '../common/pagination/cursor.js';
import { BlocksService } from './blocks.service.js';
import { BlockCreatedDto, BlockPageDto } from './dto/friends.dto.js';

@ApiTags('blocks')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('blocks')
export class BlocksController {
  constructor(private readonly blocks: BlocksService) {}

  @Post(':userId')
  @ApiOperation({
    summary: 'Block a user',
    description:
      'Ends any friendship and pending friend request between the two; stops direct messages both ways. 200 when already blocked.',
  })
  @ApiCreatedResponse({ type: BlockCreatedDto })
  @ApiOkResponse({ type: BlockCreatedDto, description: 'Already blocked' })
  @ApiErrors(400, 404)
  async block(
    @CurrentUser() auth: AuthUser,
    @UuidParam('userId') userId: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<BlockCreatedDto> {
    const { block, created } = await this.blocks.block(auth.userId, userId);
    res.status(created ? 201 : 200);
    return { userId: block.blockedId, createdAt: block.createdAt.toISOString() };
  }

  @Delete(':userId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Unblock a user' })
  @ApiNoContentResponse()
  @ApiErrors(400, 404)
  async unblock(@CurrentUser() auth: AuthUser, @UuidParam('userId') userId: string): Promise<void> {
    await this.blocks.unblock(auth.userId, userId);
  }

  @Get()
  @ApiOperation({ summary: 'Users the caller has blocked' })
  @ApiOkResponse({ type: BlockPageDto })
  @ApiErrors(400)
  list(@CurrentUser() auth: AuthUser, @Query() query: PageQueryDto): Promise<BlockPageDto> {
    return this.blocks.list(auth.userId, query.limit ?? DEFAULT_PAGE_SIZE, query.cursor);
  }
}
