import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppError } from '../common/errors/app-error.js';
import { ADMIN_ONLY, type AuthenticatedRequest, IS_PUBLIC } from '../common/auth/auth-context.js';
import { AuthService } from './auth.service.js';

/**
 * Global guard for REST: every route needs a live Relay access token unless marked @Public();
 * routes marked @AdminOnly() also need role admin.
 */
@Injectable()
export class AccessTokenGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match?.[1]) throw AppError.unauthorized('Missing bearer token');
    request.auth = await this.auth.authenticate(match[1]);
    if (this.reflector.getAllAndOverride<boolean>(ADMIN_ONLY, targets) && request.auth.role !== 'admin') {
      throw AppError.forbidden('Admin role required');
    }
    return true;
  }
}
