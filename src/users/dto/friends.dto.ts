import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { PageQueryDto, type Page, pageOf } from '../../common/pagination/cursor.js';
import type { FriendRequest, FriendRequestStatus } from '../friend-request.entity.js';
import { UserDto } from './user.dto.js';
import { IsUuid } from '../../common/validation/is-uuid.js';
import { Optional } from '../../common/validation/optional.js';

export class CreateFriendRequestDto {
  @ApiProperty({ format: 'uuid', description: 'The user to befriend' })
  @IsUuid()
  userId!: string;
}

export class FriendRequestDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) fromUserId!: string;
  @ApiProperty({ format: 'uuid' }) toUserId!: string;
  @ApiProperty({ enum: ['pending', 'accepted', 'declined'] }) status!: FriendRequestStatus;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;

  static from(r: FriendRequest): FriendRequestDto {
    return {
      id: r.id,
      fromUserId: r.fromUserId,
      toUserId: r.toUserId,
      status: r.status,
      createdAt: r.createdAt.toISOString(),
    };
  }
}

export const FriendRequestPageDto = pageOf(FriendRequestDto);
export type FriendRequestPageDto = Page<FriendRequestDto>;

export class FriendRequestsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: ['incoming', 'outgoing'], description: 'Both when omitted' })
  @Optional()
  @IsIn(['incoming', 'outgoing'])
  direction?: 'incoming' | 'outgoing';
}

export class FriendDto extends UserDto {
  @ApiProperty({ format: 'date-time' }) friendsSince!: string;
}

export const FriendPageDto = pageOf(FriendDto);
export type FriendPageDto = Page<FriendDto>;

export class BlockDto {
  @ApiProperty({ format: 'uuid' }) userId!: string;
  @ApiProperty() username!: string;
  @ApiProperty() displayName!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export const BlockPageDto = pageOf(BlockDto);
export type BlockPageDto = Page<BlockDto>;

export class BlockCreatedDto {
  @ApiProperty({ format: 'uuid', description: 'The blocked user' }) userId!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}
