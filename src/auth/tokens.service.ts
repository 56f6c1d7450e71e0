import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { AppConfig } from '../common/config/app-config.js';
import { AppError } from '../common/errors/app-error.js';
import type { UserRole } from '../users/user.entity.js';

export type TokenType = 'access' | 'ws';

export interface TokenClaims {
  sub: string;
  sid: string;
  role: UserRole;
  typ: TokenType;
  jti?: string;
  exp: number;
  iat?: number;
}

const WS_TICKET_TTL_SECONDS = 60;
const CLOCK_LEEWAY_SECONDS = 30;

/** Relay's own tokens: HS256 JWTs for access and socket tickets, opaque random refresh tokens. */
@Injectable()
export class TokensService {
  constructor(
    private readonly jwt: JwtService,
    private readonly config: AppConfig,
  ) {}

  async issueAccess(userId: string, sessionId: string, role: UserRole): Promise<string> {
    return this.sign({ sub: userId, sid: sessionId, role, typ: 'access' }, this.config.jwt.accessTtlSeconds);
  }

  async issueWsTicket(
    userId: string,
    sessionId: string,
    role: UserRole,
  ): Promise<{ token: string; expiresAt: Date }> {
    const token = await this.sign(
      { sub: userId, sid: sessionId, role, typ: 'ws', jti: randomUUID() },
      WS_TICKET_TTL_SECONDS,
    );
    return { token, expiresAt: new Date(Date.now() + WS_TICKET_TTL_SECONDS * 1000) };
  }

  /**
   * Verifies signature (HS256 only), issuer, audience, expiry (required), issue time (not in the
   * future) and that the token is of an allowed type. The role in the claims is not trusted: the
   * caller reads it from the database.
   */
  async verify(token: string, allowed: readonly TokenType[]): Promise<TokenClaims> {
    let claims: TokenClaims;
    try {
      claims = await this.jwt.verifyAsync<TokenClaims>(token, {
        algorithms: ['HS256'],
        issuer: this.config.jwt.issuer,
        audience: this.config.jwt.audience,
        clockTolerance: CLOCK_LEEWAY_SECONDS,
      });
    } catch {
      throw AppError.unauthorized('Invalid or expired token');
    }
    // A token must end, and cannot come from the future (a signer with a wrong clock, or a forgery).
    const now = Math.floor(Date.now() / 1000);
    if (
      typeof claims.exp !== 'number' ||
      (claims.iat !== undefined &&
        (typeof claims.iat !== 'number' || claims.iat > now + CLOCK_LEEWAY_SECONDS)) ||
      !allowed.includes(claims.typ) ||
      typeof claims.sub !== 'string' ||
      typeof claims.sid !== 'string' ||
      (claims.role !== 'user' && claims.role !== 'admin')
    ) {
      throw AppError.unauthorized('Invalid or expired token');
    }
    return claims;
  }

  newRefreshToken(): { token: string; hash: string } {
    const token = `rt_${randomBytes(32).toString('base64url')}`;
    return { token, hash: this.hashRefreshToken(token) };
  }

  hashRefreshToken(token: string): string {
    return createHash('sha256').update(token).digest('hex');
  }

  private sign(payload: Omit<TokenClaims, 'exp'>, expiresIn: number): Promise<string> {
    return this.jwt.signAsync(payload, {
      algorithm: 'HS256',
      issuer: this.config.jwt.issuer,
      audience: this.config.jwt.audience,
      expiresIn,
    });
  }
}
