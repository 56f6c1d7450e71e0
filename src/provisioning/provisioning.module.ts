import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { GroupsModule } from '../groups/groups.module.js';
import { OrgsModule } from '../orgs/orgs.module.js';
import { UsersModule } from '../users/users.module.js';
import { ProvisioningController } from './provisioning.controller.js';
import { ProvisioningService } from './provisioning.service.js';
import { ServiceKeyGuard } from './service-key.guard.js';

@Module({
  imports: [UsersModule, AuthModule, GroupsModule, OrgsModule],
  controllers: [ProvisioningController],
  providers: [ProvisioningService, ServiceKeyGuard],
})
export class ProvisioningModule {}
