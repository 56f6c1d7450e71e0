import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { AppConfig } from '../common/config/app-config.js';
import { UsersModule } from '../users/users.module.js';
import { AccessTokenGuard } from './access-token.guard.js';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { ExternalAuthService } from './external-auth.service.js';
import { PasswordService } from './password.service.js';
import { SessionsController } from './sessions.controller.js';
import { SessionsRepository } from './sessions.repository.js';
import { SessionsService } from './sessions.service.js';
import { TokensService } from './tokens.service.js';

@Module({
  imports: [
    UsersModule,
    JwtModule.registerAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({ secret: config.jwt.secret, signOptions: { algorithm: 'HS256' } }),
    }),
  ],
  controllers: [AuthController, SessionsController],
  providers: [
    AuthService,
    ExternalAuthService,
    SessionsRepository,
    SessionsService,
    TokensService,
    PasswordService,
    { provide: APP_GUARD, useClass: AccessTokenGuard },
  ],
  exports: [AuthService, SessionsService],
})
export class AuthModule {}
