import { Body, Controller, Delete, Get, HttpCode, Post, Query, Res } from '@nestjs/common';
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
import {
  CreateFriendRequestDto,
  FriendPageDto,
  FriendRequestDto,
  FriendRequestPageDto,
  FriendRequestsQueryDto,
} from './dto/friends.dto.js';
import { FriendsService } from './friends.service.js';

@ApiTags('friends')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('friends')
export class FriendsController {
  constructor(private readonly friends: FriendsService) {}

  @Post('requests')
  @ApiOperation({
    summary: 'Send a friend request',
    description:
      'If the other user already sent the caller a pending request, that request is accepted instead (200).',
  })
  @ApiCreatedResponse({ type: FriendRequestDto })
  @ApiOkResponse({ type: FriendRequestDto, description: 'The reverse request was accepted' })
  @ApiErrors(400, 403, 404, 409)
  async request(
    @CurrentUser() auth: AuthUser,
    @Body() body: CreateFriendRequestDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<FriendRequestDto> {
    const { request, created } = await this.friends.request(auth.userId, body.userId);
    res.status(created ? 201 : 200);
    return FriendRequestDto.from(request);
  }

  @Get('requests')
  @ApiOperation({ summary: 'Pending friend requests to and from the caller' })
  @ApiOkResponse({ type: FriendRequestPageDto })
  @ApiErrors(400)
  async requests(
    @CurrentUser() auth: AuthUser,
    @Query() query: FriendRequestsQueryDto,
  ): Promise<FriendRequestPageDto> {
    const page = await this.friends.listRequests(
      auth.userId,
      query.direction,
      query.limit ?? DEFAULT_PAGE_SIZE,
      query.cursor,
    );
    return { items: page.items.map((r) => FriendRequestDto.from(r)), nextCursor: page.nextCursor };
  }

  @Post('requests/:id/accept')
  @HttpCode(200)
  @ApiOperation({ summary: 'Accept a friend request addressed to the caller' })
  @ApiOkResponse({ type: FriendRequestDto })
  @ApiErrors(400, 403, 404, 409)
  async accept(@CurrentUser() auth: AuthUser, @UuidParam('id') id: string): Promise<FriendRequestDto> {
    return FriendRequestDto.from(await this.friends.accept(auth.userId, id));
  }

  @Post('requests/:id/decline')
  @HttpCode(200)
  @ApiOperation({ summary: 'Decline a friend request addressed to the caller' })
  @ApiOkResponse({ type: FriendRequestDto })
  @ApiErrors(400, 403, 404, 409)
  async decline(@CurrentUser() auth: AuthUser, @UuidParam('id') id: string): Promise<FriendRequestDto> {
    return FriendRequestDto.from(await this.friends.decline(auth.userId, id));
  }

  @Get()
  @ApiOperation({ summary: 'The caller’s friends, by username' })
  @ApiOkResponse({ type: FriendPageDto })
  @ApiErrors(400)
  list(@CurrentUser() auth: AuthUser, @Query() query: PageQueryDto): Promise<FriendPageDto> {
    return this.friends.list(auth.userId, query.limit ?? DEFAULT_PAGE_SIZE, query.cursor);
  }

  @Delete(':userId')
  @HttpCode(204)
  @ApiOperation({ summary: 'End a friendship (both ways)' })
  @ApiNoContentResponse()
  @ApiErrors(400, 404)
  async remove(@CurrentUser() auth: AuthUser, @UuidParam('userId') userId: string): Promise<void> {
    await this.friends.remove(auth.userId, userId);
  }
}
