import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { PageQueryDto, type Page, pageOf } from '../../common/pagination/cursor.js';
import type { User } from '../user.entity.js';
import { Optional } from '../../common/validation/optional.js';

export const USERNAME_PATTERN = /^[A-Za-z0-9_.-]{3,32}$/;

/** A user as other users see them. */
export class UserDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'alice' }) username!: string;
  @ApiProperty({ example: 'Alice' }) displayName!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;

  static from(user: User): UserDto {
    return {
      id: user.id,
      username: user.username,
      displayName: user.displayName,
      createdAt: user.createdAt.toISOString(),
    };
  }
}

/** The caller's own profile. */
export class MeDto extends UserDto {
  @ApiProperty({ enum: ['user', 'admin'] }) role!: 'user' | 'admin';

  static override from(user: User): MeDto {
    return { ...UserDto.from(user), role: user.role };
  }
}

export const UserPageDto = pageOf(UserDto);
export type UserPageDto = Page<UserDto>;

export class UpdateMeDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 64 })
  @Optional()
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  displayName?: string;
}

export class SearchUsersQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Prefix of the username or part of the display name', maxLength: 64 })
  @Optional()
  @IsString()
  @MaxLength(64)
  search?: string;
}

export class UsernameFieldDto {
  @ApiProperty({ pattern: USERNAME_PATTERN.source, example: 'alice' })
  @IsString()
  @Matches(USERNAME_PATTERN, { message: 'username must be 3-32 characters of A-Z a-z 0-9 _ . -' })
  username!: string;
}
