import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { UsersModule } from '../users/users.module.js';
import { AdminController } from './admin.controller.js';

@Module({ imports: [UsersModule, AuthModule], controllers: [AdminController] })
export class AdminModule {}
