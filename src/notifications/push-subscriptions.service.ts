import { Injectable } from '@nestjs/common';
import { SessionRevokedEvent } from '../auth/events/session-revoked.event.js';
import type { AuthUser } from '../common/auth/auth-context.js';
import { AppConfig } from '../common/config/app-config.js';
import { AppError } from '../common/errors/app-error.js';
import { OnDomainEvent } from '../common/events/domain-events.js';
import { encodeCursor, type Page, toPage } from '../common/pagination/cursor.js';
import { PushSubscriptionDto, type CreatePushSubscriptionDto } from './dto/notifications.dto.js';
import { base64urlBytes, checkPushEndpoint } from './endpoint-guard.js';
import { PushSubscriptionsRepository, type NewPushSubscription } from './push-subscriptions.repository.js';

/** Subscriptions a user may hold across all their devices. */
const MAX_PER_USER = 50;

const invalid = (field: string, problem: string): AppError =>
  AppError.validation(`${field} ${problem}`, { fields: [{ field, problems: [problem] }] });

/** Push subscriptions of the caller's sessions: registering, listing, deleting. */
@Injectable()
export class PushSubscriptionsService {
  constructor(
    private readonly subscriptions: PushSubscriptionsRepository,
    private readonly config: AppConfig,
  ) {}

  /** Registers the caller's device; the same endpoint or token again answers the same subscription. */
  async subscribe(
    auth: AuthUser,
    dto: CreatePushSubscriptionDto,
  ): Promise<{ subscription: PushSubscriptionDto; created: boolean }> {
    const address = this.addressOf(dto);
    const { subscription, created } = await this.subscriptions.upsert({
      userId: auth.userId,
      sessionId: auth.sessionId,
      ...address,
    });
    // Counted after the upsert, so that registering a device again is never refused.
    if (created && (await this.subscriptions.countOf(auth.userId)) > MAX_PER_USER) {
      await this.subscriptions.deleteOwn(auth.userId, subscription.id);
      throw new AppError('QUOTA_EXCEEDED', `At most ${MAX_PER_USER} push subscriptions per user`);
    }
    return { subscription: PushSubscriptionDto.from(subscription), created };
  }

  async list(userId: string, limit: number, cursor?: string): Promise<Page<PushSubscriptionDto>> {
    const rows = await this.subscriptions.page(userId, limit + 1, cursor);
    return toPage(
      rows,
      limit,
      (r) => PushSubscriptionDto.from(r),
      (r) => encodeCursor([r.createdAt.toISOString(), r.id]),
    );
  }

  async remove(userId: string, id: string): Promise<void> {
    if (!(await this.subscriptions.deleteOwn(userId, id))) throw AppError.notFound('Push subscription');
  }

  /** A revoked session's devices stop receiving pushes. */
  @OnDomainEvent(SessionRevokedEvent.event, { async: true, suppressErrors: true })
  async onSessionRevoked(event: SessionRevokedEvent): Promise<void> {
    await this.subscriptions.deleteBySession(event.sessionId);
  }

  /** Checks the kind's fields, naming the first bad one. */
  private addressOf(
    dto: CreatePushSubscriptionDto,
  ): Pick<NewPushSubscription, 'kind' | 'address' | 'p256dh' | 'auth'> {
    if (dto.kind === 'webpush') {
      if (dto.token !== undefined) throw invalid('token', 'is only for apns and fcm');
      const endpoint = dto.endpoint!;
      const problem = checkPushEndpoint(endpoint, this.config.notifications.endpointHosts);
      if (problem) throw invalid('endpoint', problem);
      const key = base64urlBytes(dto.keys!.p256dh, 65);
      if (!key || key[0] !== 0x04)
        throw invalid('keys.p256dh', 'must be a P-256 public key (65 bytes, base64url)');
      if (!base64urlBytes(dto.keys!.auth, 16)) throw invalid('keys.auth', 'must be 16 bytes, base64url');
      return { kind: 'webpush', address: endpoint, p256dh: dto.keys!.p256dh, auth: dto.keys!.auth };
    }
    if (dto.endpoint !== undefined) throw invalid('endpoint', 'is only for webpush');
    if (dto.keys !== undefined) throw invalid('keys', 'is only for webpush');
    const token = dto.token!;
    if (dto.kind === 'apns' && !/^[0-9a-fA-F]{64,200}$/.test(token))
      throw invalid('token', 'must be an APNs device token (64-200 hex digits)');
    if (dto.kind === 'fcm' && !/^[A-Za-z0-9_:.-]{20,1024}$/.test(token))
      throw invalid('token', 'must be an FCM registration token');
    return {
      kind: dto.kind,
      address: dto.kind === 'apns' ? token.toLowerCase() : token,
      p256dh: null,
      auth: null,
    };
  }
}
