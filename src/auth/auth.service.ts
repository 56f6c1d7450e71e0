import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../common/config/app-config.js';
import { AppError } from '../common/errors/app-error.js';
import { RateLimitService } from '../common/rate-limit/rate-limit.service.js';
import { OnceStore } from '../common/redis/once-store.js';
import { MeDto } from '../users/dto/user.dto.js';
import type { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import type { AuthUser } from '../common/auth/auth-context.js';
import type { AuthResultDto, LoginDto, RegisterDto, TokenPairDto } from './dto/auth.dto.js';
import { ExternalAuthService } from './external-auth.service.js';
import { PasswordService } from './password.service.js';
import { type ClientInfo, type DeviceInfo, SessionsService } from './sessions.service.js';
import { TokensService, type TokenType } from './tokens.service.js';

const MINUTE = 60;

@Injectable()
export class AuthService implements OnApplicationBootstrap {
  private readonly logger = new Logger(AuthService.name);

  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly tokens: TokensService,
    private readonly passwords: PasswordService,
    private readonly limits: RateLimitService,
    private readonly once: OnceStore,
    private readonly external: ExternalAuthService,
    private readonly config: AppConfig,
  ) {}

  /** Creates the admin named by ADMIN_USERNAME/ADMIN_PASSWORD, or makes sure it is one with that password. */
  async onApplicationBootstrap(): Promise<void> {
    const admin = this.config.admin;
    if (!admin) return;
    const existing = await this.users.findByUsername(admin.username);
    if (!existing) {
      try {
        await this.users.create({
          username: admin.username,
          passwordHash: await this.passwords.hash(admin.password),
          role: 'admin',
        });
        this.logger.log(`Created admin user '${admin.username}'`);
      } catch (error) {
        // Another node created it at the same moment.
        if (!(error instanceof AppError && error.code === 'CONFLICT')) throw error;
      }
      return;
    }
    const passwordMatches = await this.passwords.verify(existing.passwordHash, admin.password);
    await this.users.setRoleAndPassword(existing.id, {
      ...(existing.role === 'admin' ? {} : { role: 'admin' }),
      ...(passwordMatches ? {} : { passwordHash: await this.passwords.hash(admin.password) }),
    });
  }

  async register(dto: RegisterDto, client: ClientInfo): Promise<AuthResultDto> {
    this.requireLocalAccounts();
    await this.limits.consume(
      { name: 'register-ip', points: this.config.rateLimits.registrationsPerMinPerIp, windowSeconds: MINUTE },
      client.ip ?? 'unknown',
    );
    const user = await this.users.create({
      username: dto.username,
      passwordHash: await this.passwords.hash(dto.password),
      displayName: dto.displayName,
    });
    return this.startSession(user, dto.device, client);
  }

  async login(dto: LoginDto, client: ClientInfo): Promise<AuthResultDto> {
    this.requireLocalAccounts();
    const { loginsPerMinPerIp, loginsPerMinPerUsername } = this.config.rateLimits;
    await this.limits.consume(
      { name: 'login-ip', points: loginsPerMinPerIp, windowSeconds: MINUTE },
      client.ip ?? 'unknown',
    );
    await this.limits.consume(
      { name: 'login-user', points: loginsPerMinPerUsername, windowSeconds: MINUTE },
      dto.username.toLowerCase(),
    );
    const user = await this.users.findByUsername(dto.username);
    const valid = await this.passwords.verify(
      user?.deactivatedAt ? null : (user?.passwordHash ?? null),
      dto.password,
    );
    if (!user || !valid) throw AppError.unauthorized('Wrong username or password');
    return this.startSession(user, dto.device, client);
  }

  async refresh(refreshToken: string): Promise<TokenPairDto> {
    const { session, refreshToken: next } = await this.sessions.rotate(refreshToken);
    const user = await this.users.get(session.userId).catch(() => {
      throw AppError.unauthorized('Invalid or expired refresh token');
    });
    return {
      accessToken: await this.tokens.issueAccess(user.id, session.id, user.role),
      refreshToken: next,
      sessionId: session.id,
    };
  }

  async logout(auth: AuthUser): Promise<void> {
    await this.sessions.revoke(auth.sessionId, 'logout');
  }

  async wsTicket(auth: AuthUser): Promise<{ token: string; expiresAt: Date }> {
    return this.tokens.issueWsTicket(auth.userId, auth.sessionId, auth.role);
  }

  /**
   * Authenticates a bearer token: a Relay access token or a host system's token. The session
   * behind it must still be live.
   */
  async authenticate(token: string): Promise<AuthUser & { expiresAt: number }> {
    const { release: _, ...auth } = await this.verify(token, ['access']);
    return auth;
  }

  /**
   * Authenticates a socket's handshake: an access token or a single-use ws ticket, which this
   * spends. `release` gives a spent ticket back, for a socket refused after this (it was not used).
   */
  authenticateSocket(token: string): Promise<AuthUser & { expiresAt: number; release: () => Promise<void> }> {
    return this.verify(token, ['access', 'ws']);
  }

  private async verify(
    token: string,
    allowed: readonly TokenType[],
  ): Promise<AuthUser & { expiresAt: number; release: () => Promise<void> }> {
    const kind = this.external.kindOf(token);
    const release = (): Promise<void> => Promise.resolve();
    if (kind !== 'relay') return { ...(await this.external.authenticate(token, kind)), release };
    const claims = await this.tokens.verify(token, allowed);
    const ticket = claims.typ === 'ws' ? claims.jti : undefined;
    if (claims.typ === 'ws') {
      const ttl = Math.max(1, claims.exp - Math.floor(Date.now() / 1000) + 60);
      if (!ticket || !(await this.once.claim('ws-ticket', ticket, ttl))) {
        throw AppError.unauthorized('Socket ticket was already used');
      }
    }
    const role = await this.sessions.liveRole(claims.sid, claims.sub);
    if (!role) throw AppError.unauthorized('Session has ended');
    // A socket admitted with a single-use ticket lives as long as an access token issued now.
    const expiresAt =
      claims.typ === 'ws' ? Date.now() + this.config.jwt.accessTtlSeconds * 1000 : claims.exp * 1000;
    return {
      userId: claims.sub,
      sessionId: claims.sid,
      role,
      expiresAt,
      release: ticket ? () => this.once.release('ws-ticket', ticket) : release,
    };
  }

  private requireLocalAccounts(): void {
    if (this.config.auth.mode === 'external')
      throw AppError.forbidden('Accounts are managed by the host system (AUTH_MODE=external)');
  }

  private async startSession(
    user: User,
    device: DeviceInfo | undefined,
    client: ClientInfo,
  ): Promise<AuthResultDto> {
    const { session, refreshToken } = await this.sessions.open(user.id, device, client);
    return {
      user: MeDto.from(user),
      accessToken: await this.tokens.issueAccess(user.id, session.id, user.role),
      refreshToken,
      sessionId: session.id,
    };
  }
}
