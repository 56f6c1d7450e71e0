import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { AppConfig } from '../common/config/app-config.js';
import { AppError } from '../common/errors/app-error.js';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Service-to-service calls: `X-Service-Key` must be one of SERVICE_API_KEYS (compared in constant time). */
@Injectable()
export class ServiceKeyGuard implements CanActivate {
  private readonly keys: Buffer[];

  constructor(config: AppConfig) {
    this.keys = config.auth.serviceApiKeys.map(digest);
  }

  canActivate(context: ExecutionContext): boolean {
    const presented = context.switchToHttp().getRequest<Request>().get('x-service-key');
    if (!presented || presented.length > 512) throw AppError.unauthorized('Missing or invalid X-Service-Key');
    const candidate = digest(presented);
    let match = false;
    for (const key of this.keys) match = timingSafeEqual(key, candidate) || match;
    if (!match) throw AppError.unauthorized('Missing or invalid X-Service-Key');
    return true;
  }
}
