import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { type AuthUser, CurrentUser } from '../common/auth/auth-context.js';
import { ApiErrors } from '../common/http/api-errors.js';
import { UuidParam } from '../common/http/uuid-param.js';
import { DEFAULT_PAGE_SIZE, PageQueryDto } from '../common/pagination/cursor.js';
import {
  AddGroupMembersDto,
  CreateGroupDto,
  GroupDto,
  GroupMemberPageDto,
  GroupPageDto,
  GroupInviteDto,
  PublicGroupsQueryDto,
  SetRoleDto,
  UpdateGroupDto,
} from './dto/group.dto.js';
import { GroupsService } from './groups.service.js';

@ApiTags('groups')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('groups')
export class GroupsController {
  constructor(private readonly groups: GroupsService) {}

  @Post()
  @ApiOperation({
    summary: 'Create a group or topic; the caller is its owner',
    description: 'Private groups (the default) are invisible to non-members.',
  })
  @ApiCreatedResponse({ type: GroupDto })
  @ApiErrors(400, 404)
  create(@CurrentUser() auth: AuthUser, @Body() body: CreateGroupDto): Promise<GroupDto> {
    return this.groups.create(auth.userId, body);
  }

  @Get()
  @ApiOperation({ summary: 'Groups the caller is a member of' })
  @ApiOkResponse({ type: GroupPageDto })
  @ApiErrors(400)
  mine(@CurrentUser() auth: AuthUser, @Query() query: PageQueryDto): Promise<GroupPageDto> {
    return this.groups.listMine(auth.userId, query.limit ?? DEFAULT_PAGE_SIZE, query.cursor);
  }

  @Get('public')
  @ApiOperation({ summary: 'The directory of public topics' })
  @ApiOkResponse({ type: GroupPageDto })
  @ApiErrors(400)
  directory(@CurrentUser() auth: AuthUser, @Query() query: PublicGroupsQueryDto): Promise<GroupPageDto> {
    return this.groups.listPublic(auth.userId, query.search, query.limit ?? DEFAULT_PAGE_SIZE, query.cursor);
  }

  @Get(':id')
  @ApiOperation({ summary: 'A group (members; anyone for public topics)' })
  @ApiOkResponse({ type: GroupDto })
  @ApiErrors(400, 404)
  get(@CurrentUser() auth: AuthUser, @UuidParam('id') id: string): Promise<GroupDto> {
    return this.groups.get(auth.userId, id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Rename, set the topic, allow member invites (owner or admin)' })
  @ApiOkResponse({ type: GroupDto })
  @ApiErrors(400, 403, 404)
  update(
    @CurrentUser() auth: AuthUser,
    @UuidParam('id') id: string,
    @Body() body: UpdateGroupDto,
  ): Promise<GroupDto> {
    return this.groups.update(auth.userId, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete the group with its conversation (owner)' })
  @ApiNoContentResponse()
  @ApiErrors(400, 403, 404)
  async delete(@CurrentUser() auth: AuthUser, @UuidParam('id') id: string): Promise<void> {
    await this.groups.delete(auth.userId, id);
  }

  @Get(':id/members')
  @ApiOperation({ summary: 'Members with their roles' })
  @ApiOkResponse({ type: GroupMemberPageDto })
  @ApiErrors(400, 404)
  members(
    @CurrentUser() auth: AuthUser,
    @UuidParam('id') id: string,
    @Query() query: PageQueryDto,
  ): Promise<GroupMemberPageDto> {
    return this.groups.members(auth.userId, id, query.limit ?? DEFAULT_PAGE_SIZE, query.cursor);
  }

  @Post(':id/members')
  @HttpCode(200)
  @ApiOperation({ summary: 'Add members (owner or admin); 409 past maxMembers' })
  @ApiOkResponse({ schema: { example: { added: ['6f1d0f8e-9c55-4a5e-8a43-5d8f0c2a4b11'] } } })
  @ApiErrors(400, 403, 404, 409)
  async addMembers(
    @CurrentUser() auth: AuthUser,
    @UuidParam('id') id: string,
    @Body() body: AddGroupMembersDto,
  ): Promise<{ added: string[] }> {
    return { added: await this.groups.addMembers(auth.userId, id, body.userIds) };
  }

  @Delete(':id/members/:userId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a member (owner or admin), or leave (your own id)' })
  @ApiNoContentResponse()
  @ApiErrors(400, 403, 404, 409)
  async removeMember(
    @CurrentUser() auth: AuthUser,
    @UuidParam('id') id: string,
    @UuidParam('userId') userId: string,
  ): Promise<void> {
    await this.groups.removeMember(auth.userId, id, userId);
  }

  @Patch(':id/members/:userId')
  @ApiOperation({ summary: 'Change a member’s role (owner); role owner hands ownership over' })
  @ApiOkResponse({ schema: { example: { userId: '6f1d0f8e-9c55-4a5e-8a43-5d8f0c2a4b11', role: 'admin' } } })
  @ApiErrors(400, 403, 404)
  setRole(
    @CurrentUser() auth: AuthUser,
    @UuidParam('id') id: string,
    @UuidParam('userId') userId: string,
    @Body() body: SetRoleDto,
  ) {
    return this.groups.setRole(auth.userId, id, userId, body.role);
  }

  @Post(':id/subscribe')
  @HttpCode(204)
  @ApiOperation({ summary: 'Subscribe to a public topic' })
  @ApiNoContentResponse()
  @ApiErrors(400, 403, 404, 409)
  async subscribe(@CurrentUser() auth: AuthUser, @UuidParam('id') id: string): Promise<void> {
    await this.groups.subscribe(auth.userId, id);
  }

  @Delete(':id/subscribe')
  @HttpCode(204)
  @ApiOperation({ summary: 'Unsubscribe from a public topic' })
  @ApiNoContentResponse()
  @ApiErrors(400, 403, 404, 409)
  async unsubscribe(@CurrentUser() auth: AuthUser, @UuidParam('id') id: string): Promise<void> {
    await this.groups.unsubscribe(auth.userId, id);
  }

  @Post(':id/invite')
  @HttpCode(204)
  @ApiOperation({ summary: 'Invite a user, who joins at once (admins; any member when membersCanInvite)' })
  @ApiNoContentResponse()
  @ApiErrors(400, 403, 404, 409)
  async invite(
    @CurrentUser() auth: AuthUser,
    @UuidParam('id') id: string,
    @Body() body: GroupInviteDto,
  ): Promise<void> {
    await this.groups.invite(auth.userId, id, body.userId);
  }
}
