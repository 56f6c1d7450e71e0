import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Request } from 'express';

/** A user's role: `admin` may use the admin routes. */
export type UserRole = 'user' | 'admin';

/** Who is calling: set by the access-token guard on REST and by the gateway on sockets. */
export interface AuthUser {
  userId: string;
  sessionId: string;
  role: UserRole;
}

export interface AuthenticatedRequest extends Request {
  auth?: AuthUser;
}

export const IS_PUBLIC = 'relay:public';
export const ADMIN_ONLY = 'relay:admin-only';

/** The route needs no access token. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);

/** The route is for users with role admin (403 otherwise). */
export const AdminOnly = (): MethodDecorator & ClassDecorator => SetMetadata(ADMIN_ONLY, true);

/** Injects the authenticated caller. */
export const CurrentUser = createParamDecorator((_data: unknown, ctx: ExecutionContext): AuthUser => {
  const auth = ctx.switchToHttp().getRequest<AuthenticatedRequest>().auth;
  if (!auth) throw new Error('CurrentUser used on a route without authentication');
  return auth;
});
