import { Module } from '@nestjs/common';
import { MessagingModule } from '../messaging/messaging.module.js';
import { UsersModule } from '../users/users.module.js';
import { OrgUnitsController } from './org-units.controller.js';
import { OrgUnitsRepository } from './org-units.repository.js';
import { OrgUnitsService } from './org-units.service.js';
import { TenantsController } from './tenants.controller.js';
import { TenantsRepository } from './tenants.repository.js';
import { TenantsService } from './tenants.service.js';

@Module({
  imports: [UsersModule, MessagingModule],
  controllers: [TenantsController, OrgUnitsController],
  providers: [TenantsRepository, OrgUnitsRepository, TenantsService, OrgUnitsService],
  exports: [TenantsService, OrgUnitsService],
})
export class OrgsModule {}
