import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsString,
  Length,
  Max,
  MaxLength,
  Min,
  ValidateIf,
} from 'class-validator';
import { PageQueryDto, type Page, pageOf } from '../../common/pagination/cursor.js';
import type { MemberRole } from '../../messaging/conversation-member.entity.js';
import type { GroupVisibility } from '../group.entity.js';
import { IsUuid } from '../../common/validation/is-uuid.js';
import { Optional } from '../../common/validation/optional.js';

export const MAX_GROUP_MEMBERS = 10_000;

export class CreateGroupDto {
  @ApiProperty({ minLength: 1, maxLength: 128 })
  @IsString()
  @Length(1, 128)
  name!: string;

  @ApiPropertyOptional({ enum: ['private', 'public'], default: 'private' })
  @Optional()
  @IsIn(['private', 'public'])
  visibility?: GroupVisibility;

  @ApiPropertyOptional({ maxLength: 512 })
  @Optional()
  @IsString()
  @MaxLength(512)
  topic?: string;

  @ApiPropertyOptional({ type: [String], format: 'uuid', maxItems: 1000 })
  @Optional()
  @IsArray()
  @ArrayMaxSize(1000)
  @IsUuid({ each: true })
  memberIds?: string[];

  @ApiPropertyOptional({ minimum: 2, maximum: MAX_GROUP_MEMBERS, default: 500 })
  @Optional()
  @IsInt()
  @Min(2)
  @Max(MAX_GROUP_MEMBERS)
  maxMembers?: number;

  @ApiPropertyOptional({ description: 'Private topic: any member may invite', default: false })
  @Optional()
  @IsBoolean()
  membersCanInvite?: boolean;

  @ApiPropertyOptional({
    format: 'uuid',
    description: 'A tenant the creator belongs to; its applications may push to the group',
  })
  @Optional()
  @IsUuid()
  tenantId?: string;
}

export class UpdateGroupDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 128 })
  @Optional()
  @IsString()
  @Length(1, 128)
  name?: string;

  @ApiPropertyOptional({ maxLength: 512, nullable: true, type: String })
  @ValidateIf((_o, v) => v !== null && v !== undefined)
  @IsString()
  @MaxLength(512)
  topic?: string | null;

  @ApiPropertyOptional()
  @Optional()
  @IsBoolean()
  membersCanInvite?: boolean;
}

export class GroupDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: String, nullable: true }) topic!: string | null;
  @ApiProperty({ enum: ['private', 'public'] }) visibility!: GroupVisibility;
  @ApiProperty() membersCanInvite!: boolean;
  @ApiProperty() maxMembers!: number;
  @ApiProperty() memberCount!: number;
  @ApiProperty({ format: 'uuid' }) conversationId!: string;
  @ApiProperty({ format: 'uuid', type: String, nullable: true }) tenantId!: string | null;
  @ApiProperty({
    enum: ['owner', 'admin', 'member'],
    nullable: true,
    type: String,
    description: 'The caller’s role, null when not a member',
  })
  myRole!: MemberRole | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export const GroupPageDto = pageOf(GroupDto);
export type GroupPageDto = Page<GroupDto>;

export class PublicGroupsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ maxLength: 64, description: 'Part of the name' })
  @Optional()
  @IsString()
  @MaxLength(64)
  search?: string;
}

export class GroupMemberDto {
  @ApiProperty({ format: 'uuid' }) userId!: string;
  @ApiProperty({ enum: ['owner', 'admin', 'member'] }) role!: MemberRole;
  @ApiProperty({ format: 'date-time' }) joinedAt!: string;
}

export const GroupMemberPageDto = pageOf(GroupMemberDto);
export type GroupMemberPageDto = Page<GroupMemberDto>;

export class AddGroupMembersDto {
  @ApiProperty({ type: [String], format: 'uuid', maxItems: 1000 })
  @IsArray()
  @ArrayMaxSize(1000)
  @IsUuid({ each: true })
  userIds!: string[];
}

export class SetRoleDto {
  @ApiProperty({
    enum: ['owner', 'admin', 'member'],
    description: 'owner transfers ownership (the old owner becomes admin)',
  })
  @IsIn(['owner', 'admin', 'member'])
  role!: MemberRole;
}

export class GroupInviteDto {
  @ApiProperty({ format: 'uuid' })
  @IsUuid()
  userId!: string;
}

export class GroupIdDto {
  @ApiProperty({ format: 'uuid' })
  @IsUuid()
  groupId!: string;
}

export class TopicInviteDto extends GroupIdDto {
  @ApiProperty({ format: 'uuid' })
  @IsUuid()
  userId!: string;
}
