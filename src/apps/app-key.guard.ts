import { type CanActivate, createParamDecorator, type ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import type { App } from './app.entity.js';
import { AppsService } from './apps.service.js';

type AppRequest = Request & { relayApp?: App };

/**
 * Application calls: `X-App-Key` must belong to an application. A guard, so that a caller without
 * a valid key is UNAUTHORIZED before its body is even validated.
 */
@Injectable()
export class AppKeyGuard implements CanActivate {
  constructor(private readonly apps: AppsService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AppRequest>();
    request.relayApp = await this.apps.authenticate(request.get('x-app-key'));
    return true;
  }
}

/** The application the {@link AppKeyGuard} admitted. */
export const CallingApp = createParamDecorator(
  (_data: unknown, context: ExecutionContext): App =>
    context.switchToHttp().getRequest<AppRequest>().relayApp!,
);
