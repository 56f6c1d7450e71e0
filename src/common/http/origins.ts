import type { Request } from 'express';
import type { AppConfig } from '../config/app-config.js';

const LOCALHOST_ORIGIN = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/;

/** Whether a browser Origin may call Relay: CORS_ORIGINS, or localhost origins when it is unset. */
export function originAllowed(config: AppConfig, origin: string): boolean {
  if (config.corsOrigins === null) return LOCALHOST_ORIGIN.test(origin);
  return config.corsOrigins.includes('*') || config.corsOrigins.includes(origin);
}

/** This server's origin as the request reached it (behind a proxy, per TRUST_PROXY). */
export const originOf = (req: Request): string => `${req.protocol}://${req.get('host') ?? 'localhost'}`;
