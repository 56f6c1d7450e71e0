import { Body, Controller, Get, Patch, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type AuthUser, CurrentUser } from '../common/auth/auth-context.js';
import { ApiErrors } from '../common/http/api-errors.js';
import { UuidParam } from '../common/http/uuid-param.js';
import { DEFAULT_PAGE_SIZE } from '../common/pagination/cursor.js';
import { MeDto, SearchUsersQueryDto, UpdateMeDto, UserDto, UserPageDto } from './dto/user.dto.js';
import { UsersService } from './users.service.js';

@ApiTags('users')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get('me')
  @ApiOperation({ summary: 'The caller’s own profile' })
  @ApiOkResponse({ type: MeDto })
  async me(@CurrentUser() auth: AuthUser): Promise<MeDto> {
    return MeDto.from(await this.users.get(auth.userId));
  }

  @Patch('me')
  @ApiOperation({ summary: 'Update the caller’s profile' })
  @ApiOkResponse({ type: MeDto })
  @ApiErrors(400)
  async updateMe(@CurrentUser() auth: AuthUser, @Body() body: UpdateMeDto): Promise<MeDto> {
    return MeDto.from(await this.users.updateProfile(auth.userId, body));
  }

  @Get()
  @ApiOperation({ summary: 'Search users by username prefix or display name' })
  @ApiOkResponse({ type: UserPageDto })
  @ApiErrors(400)
  async search(@Query() query: SearchUsersQueryDto): Promise<UserPageDto> {
    const page = await this.users.search(query.search, query.limit ?? DEFAULT_PAGE_SIZE, query.cursor);
    return { items: page.items.map((u) => UserDto.from(u)), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @ApiOperation({ summary: 'A user by id' })
  @ApiOkResponse({ type: UserDto })
  @ApiErrors(400, 404)
  async get(@UuidParam('id') id: string): Promise<UserDto> {
    return UserDto.from(await this.users.get(id));
  }
}
