import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { pageOf, PageQueryDto } from '../../common/pagination/cursor.js';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Max,
  Min,
  ValidateIf,
} from 'class-validator';
import type { TenantRole } from '../tenant.entity.js';
import { IsUuid } from '../../common/validation/is-uuid.js';
import { Optional } from '../../common/validation/optional.js';

export class CreateTenantDto {
  @ApiProperty({ minLength: 1, maxLength: 128 })
  @IsString()
  @Length(1, 128)
  name!: string;
}

export class TenantDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ['owner', 'admin', 'member'], description: 'The caller’s role' }) role!: TenantRole;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export const TenantPageDto = pageOf(TenantDto);

export class AddTenantMemberDto {
  @ApiProperty({ format: 'uuid' })
  @IsUuid()
  userId!: string;

  @ApiProperty({ enum: ['owner', 'admin', 'member'] })
  @IsIn(['owner', 'admin', 'member'])
  role!: TenantRole;
}

export class TenantMemberDto {
  @ApiProperty({ format: 'uuid' }) tenantId!: string;
  @ApiProperty({ format: 'uuid' }) userId!: string;
  @ApiProperty({ enum: ['owner', 'admin', 'member'] }) role!: TenantRole;
}

export class CreateOrgUnitDto {
  @ApiProperty({ minLength: 1, maxLength: 128 })
  @IsString()
  @Length(1, 128)
  name!: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @Optional()
  @IsUuid()
  parentId?: string;
}

export class UpdateOrgUnitDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 128 })
  @Optional()
  @IsString()
  @Length(1, 128)
  name?: string;

  @ApiPropertyOptional({ format: 'uuid', nullable: true, description: 'New parent; null makes it a root' })
  @ValidateIf((_o, v) => v !== null && v !== undefined)
  @IsUuid()
  parentId?: string | null;
}

export class OrgUnitDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) tenantId!: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) parentId!: string | null;
  @ApiProperty() name!: string;
  @ApiProperty({ format: 'uuid' }) conversationId!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class OrgUnitNodeDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) parentId!: string | null;
  @ApiProperty({ format: 'uuid' }) conversationId!: string;
  @ApiProperty({ description: 'Direct members of this unit' }) memberCount!: number;
  @ApiProperty({ type: () => [OrgUnitNodeDto] }) children!: OrgUnitNodeDto[];
}

export class UserIdsDto {
  @ApiProperty({ type: [String], format: 'uuid', maxItems: 1000 })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @IsUuid({ each: true })
  userIds!: string[];
}

export class UnitMembersQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Include members of every unit below' })
  @Optional()
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  recursive?: boolean;
}

export class UnitMemberDto {
  @ApiProperty({ format: 'uuid' }) userId!: string;
  @ApiProperty({ format: 'uuid', description: 'The unit the user belongs to' }) unitId!: string;
}

export const UnitMemberPageDto = pageOf(UnitMemberDto);

export class QuotaDto {
  @ApiPropertyOptional({ type: Number, nullable: true, minimum: 0, description: 'null: unlimited' })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsInt()
  @Min(0)
  @Max(1_000_000_000)
  appPushesPerDay?: number | null;

  @ApiPropertyOptional({ type: Number, nullable: true, minimum: 0, description: 'null: unlimited' })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsInt()
  @Min(0)
  @Max(1_000_000_000)
  messagesPerDay?: number | null;
}

export class QuotaUsageDto {
  @ApiProperty({ type: Number, nullable: true }) appPushesPerDay!: number | null;
  @ApiProperty({ type: Number, nullable: true }) messagesPerDay!: number | null;
  @ApiProperty({ example: { appPushes: 12, messages: 3 } }) usedToday!: {
    appPushes: number;
    messages: number;
  };
}
