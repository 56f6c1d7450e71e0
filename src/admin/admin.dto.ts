import { ApiProperty } from '@nestjs/swagger';

export class TenantUsageDto {
  @ApiProperty({ format: 'uuid' }) tenantId!: string;
  @ApiProperty() name!: string;
  @ApiProperty() appPushes!: number;
  @ApiProperty() messages!: number;
}

export class AdminStatsDto {
  @ApiProperty({ description: 'Active (not deactivated) users' }) users!: number;
  @ApiProperty({ description: 'Sessions that are neither revoked nor expired' }) liveSessions!: number;
  @ApiProperty({ description: 'Users with at least one connected socket, on any node' }) onlineUsers!: number;
  @ApiProperty({ description: 'Connected sockets, on all nodes' }) sockets!: number;
  @ApiProperty({ description: 'Messages stored since 00:00 UTC' }) messagesToday!: number;
  @ApiProperty({ type: [TenantUsageDto], description: 'Per-tenant application pushes and messages today' })
  tenantsToday!: TenantUsageDto[];
}
