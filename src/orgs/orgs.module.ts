import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { MessagingModule } from '../messaging/messaging.module.js';
import { UsersModule } from '../users/users.module.js';
import { OrgUnit, OrgUnitMember } from './org-unit.entity.js';
import { OrgUnitsController } from './org-units.controller.js';
import { OrgUnitsService } from './org-units.service.js';
import { Tenant, TenantMember, TenantUsage } from './tenant.entity.js';
import { TenantsController } from './tenants.controller.js';
import { TenantsService } from './tenants.service.js';

@Module({
  imports: [
    UsersModule,
    MessagingModule,
    TypeOrmModule.forFeature([Tenant, TenantMember, TenantUsage, OrgUnit, OrgUnitMember]),
  ],
  controllers: [TenantsController, OrgUnitsController],
  providers: [TenantsService, OrgUnitsService],
  exports: [TenantsService, OrgUnitsService],
})
export class OrgsModule {}
