import { Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import {
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors as joseErrors,
  type JWTPayload,
  jwtVerify,
} from 'jose';
import { AppConfig } from '../common/config/app-config.js';
import { AppError } from '../common/errors/app-error.js';
import { CacheService, type SharedCache } from '../common/cache/cache.service.js';
import { UsersService } from '../users/users.service.js';
import type { AuthUser } from '../common/auth/auth-context.js';
import { SessionsService } from './sessions.service.js';

const ASYMMETRIC = ['RS256', 'ES256', 'EdDSA'];
const POSITIVE_CACHE_MS = 30_000;
const NEGATIVE_CACHE_MS = 5_000;

/** What a host token says about its user, whichever way it was verified. */
interface HostIdentity {
  sub: string;
  username: string;
  displayName?: string;
  sessionKey: string;
  expiresAt: number;
}

type TokenKind = 'relay' | 'jwks' | 'introspection';

/** An introspection answer (null: the token is refused) and until when it is trusted. */
interface Introspected {
  identity: HostIdentity | null;
  until: number;
}

/**
 * Trust of a host system's tokens: JWTs verified against its JWKS (keys cached, an unknown kid
 * refetches at most once per AUTH_JWKS_COOLDOWN_MS) or opaque tokens checked by RFC 7662 introspection (answers cached
 * briefly). The subject becomes a Relay user on first sight, with one Relay session per host
 * session, so rooms, logout and session state work as for Relay's own accounts.
 */
@Injectable()
export class ExternalAuthService {
  private readonly logger = new Logger(ExternalAuthService.name);
  private readonly jwks;
  /**
   * Introspection answers by token hash. Nothing in Relay changes them, so no node is told of a
   * change: each answer is trusted until its own `until` (at most POSITIVE_CACHE_MS).
   */
  private readonly introspected: SharedCache<Introspected>;

  constructor(
    private readonly config: AppConfig,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    caches: CacheService,
  ) {
    this.introspected = caches.create({
      name: 'host-introspection',
      max: 50_000,
      ttlMs: POSITIVE_CACHE_MS,
      scope: 'immutable',
    });
    this.jwks = config.auth.jwksUrl
      ? createRemoteJWKSet(new URL(config.auth.jwksUrl), {
          cooldownDuration: config.auth.jwksCooldownMs,
          cacheMaxAge: 10 * 60_000,
          timeoutDuration: 5_000,
        })
      : null;
  }

  /** Which verifier a token goes to under AUTH_MODE. */
  kindOf(token: string): TokenKind {
    const mode = this.config.auth.mode;
    if (mode === 'local') return 'relay';
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      alg = undefined;
    }
    if (alg === 'HS256') return 'relay';
    if (alg && ASYMMETRIC.includes(alg) && this.jwks) return 'jwks';
    if (this.config.auth.introspectionUrl) return 'introspection';
    return alg && this.jwks ? 'jwks' : 'relay';
  }

  /** Verifies a host token and returns the Relay user and session behind it. */
  async authenticate(
    token: string,
    kind: Exclude<TokenKind, 'relay'>,
  ): Promise<AuthUser & { expiresAt: number }> {
    const identity = kind === 'jwks' ? await this.verifyJwt(token) : await this.introspect(token);
    const { user } = await this.users.upsertExternal(identity.sub, {
      username: identity.username,
      displayName: identity.displayName,
    });
    if (user.deactivatedAt) throw AppError.unauthorized('Invalid or expired token');
    const sessionId = await this.sessions.forExternal(
      user.id,
      identity.sessionKey,
      new Date(identity.expiresAt),
    );
    return { userId: user.id, sessionId, role: user.role, expiresAt: identity.expiresAt };
  }

  private async verifyJwt(token: string): Promise<HostIdentity> {
    try {
      const { payload } = await jwtVerify(token, this.jwks!, {
        issuer: this.config.auth.issuer,
        audience: this.config.auth.audience,
        algorithms: ASYMMETRIC,
        clockTolerance: 30,
        requiredClaims: ['sub', 'exp'],
      });
      if (typeof payload.iat === 'number' && payload.iat > Date.now() / 1000 + 30) {
        throw new Error('issued in the future');
      }
      return identityOf(payload);
    } catch (error) {
      if (
        error instanceof joseErrors.JWKSTimeout ||
        (error instanceof Error && /fetch failed|ECONNREFUSED/.test(error.message))
      ) {
        this.logger.warn(`Host JWKS unreachable: ${error.message}`);
        throw new AppError('SERVICE_UNAVAILABLE', 'The identity provider is unavailable');
      }
      this.logger.warn(
        `Host token refused: ${error instanceof Error ? `${error.name}: ${error.message}` : 'unknown'}`,
      );
      throw AppError.unauthorized('Invalid or expired token');
    }
  }

  private async introspect(token: string): Promise<HostIdentity> {
    const key = createHash('sha256').update(token).digest('hex');
    const now = Date.now();
    const cached = this.introspected.peek(key);
    if (cached && cached.until > now) {
      if (!cached.identity) throw AppError.unauthorized('Invalid or expired token');
      return cached.identity;
    }
    let answer: Record<string, unknown>;
    try {
      const client = this.config.auth.introspectionClient;
      const res = await fetch(this.config.auth.introspectionUrl!, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
          ...(client
            ? { authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}` }
            : {}),
        },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
        signal: AbortSignal.timeout(5_000),
      });
      if (!res.ok) throw new Error(`introspection answered ${res.status}`);
      answer = (await res.json()) as Record<string, unknown>;
    } catch (error) {
      this.logger.warn(
        `Host introspection unavailable: ${error instanceof Error ? error.message : 'unknown'}`,
      );
      throw new AppError('SERVICE_UNAVAILABLE', 'The identity provider is unavailable');
    }
    const exp = typeof answer.exp === 'number' ? answer.exp * 1000 : now + POSITIVE_CACHE_MS;
    if (answer.active !== true || typeof answer.sub !== 'string' || exp <= now - 30_000) {
      this.remember(key, null, now + NEGATIVE_CACHE_MS);
      this.logger.warn('Host token refused: introspection says inactive');
      throw AppError.unauthorized('Invalid or expired token');
    }
    if (this.config.auth.audience && !audienceIncludes(answer.aud, this.config.auth.audience)) {
      this.remember(key, null, now + NEGATIVE_CACHE_MS);
      throw AppError.unauthorized('Invalid or expired token');
    }
    const identity = identityOf({ ...answer, exp: exp / 1000 });
    this.remember(key, identity, Math.min(now + POSITIVE_CACHE_MS, exp));
    return identity;
  }

  private remember(key: string, identity: HostIdentity | null, until: number): void {
    this.introspected.set(key, { identity, until });
  }
}

function audienceIncludes(aud: unknown, expected: string): boolean {
  return aud === expected || (Array.isArray(aud) && aud.includes(expected));
}

function identityOf(claims: JWTPayload & Record<string, unknown>): HostIdentity {
  const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
  const sub = claims.sub!;
  return {
    sub,
    username: str(claims.preferred_username) ?? str(claims.username) ?? str(claims.email) ?? sub,
    displayName: str(claims.name),
    sessionKey: str(claims.sid) ?? 'default',
    expiresAt: (claims.exp ?? Math.floor(Date.now() / 1000) + 300) * 1000,
  };
}
