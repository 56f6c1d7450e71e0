import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { AppConfig } from '../common/config/app-config.js';
import { SKIP_SIGNATURE } from '../common/http/skip-signature.js';
import { ClientKeysService } from './client-keys.service.js';
import { sha256Hex } from './client-signature.js';

/** With SIGNATURE_REQUIRED=true, every REST route demands a request signed with a client key. */
@Injectable()
export class SignatureGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ClientKeysService,
    private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (!this.config.signatureRequired || context.getType() !== 'http') return true;
    if (this.reflector.getAllAndOverride<boolean>(SKIP_SIGNATURE, [context.getHandler(), context.getClass()]))
      return true;
    const req = context.switchToHttp().getRequest<Request & { rawBody?: Buffer }>();
    await this.keys.verify({
      keyId: req.get('x-client-key'),
      timestamp: req.get('x-timestamp'),
      nonce: req.get('x-nonce'),
      signature: req.get('x-signature'),
      method: req.method,
      path: req.originalUrl,
      bodySha256: sha256Hex(req.rawBody ?? ''),
    });
    return true;
  }
}
