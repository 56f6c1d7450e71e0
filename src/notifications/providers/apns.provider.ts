import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import apn from '@parse/node-apn';
import { AppConfig } from '../../common/config/app-config.js';
import {
  PROVIDER_TIMEOUT_MS,
  type PushContent,
  type PushOutcome,
  type PushProvider,
  type PushTarget,
  RetryableError,
} from './push-provider.js';

/** APNs reasons that mean the token will never work again. */
const GONE_REASONS = new Set(['Unregistered', 'BadDeviceToken', 'DeviceTokenNotForTopic', 'ExpiredToken']);

/**
 * Apple Push Notification service over HTTP/2 with token (.p8) authentication, through
 * `@parse/node-apn`. The job id is the `apns-id`, so Apple reports it back; the conversation id
 * is the thread (notifications of one conversation are grouped on the device).
 */
@Injectable()
export class ApnsProvider implements PushProvider, OnModuleDestroy {
  readonly kind = 'apns' as const;
  private provider: apn.Provider | null = null;

  constructor(private readonly config: AppConfig) {}

  get configured(): boolean {
    return Boolean(this.config.notifications.apns);
  }

  async send(target: PushTarget, content: PushContent): Promise<PushOutcome> {
    const settings = this.config.notifications.apns;
    if (!settings) return 'rejected';
    const note = new apn.Notification();
    note.id = content.jobId;
    note.topic = settings.topic;
    note.pushType = 'alert';
    note.priority = 10;
    note.expiry = Math.floor(Date.now() / 1000) + 24 * 3600;
    note.threadId = content.conversationId;
    note.alert = { title: content.title, body: content.body };
    note.payload = { ...content };
    const result = await this.client().send(note, target.address);
    const failure = result.failed[0];
    if (!failure) return 'delivered';
    const status = Number(failure.status ?? 0);
    const reason = failure.response?.reason ?? '';
    if (status === 410 || GONE_REASONS.has(reason)) return 'gone';
    if (!status || status === 429 || status >= 500 || failure.error)
      throw new RetryableError(`APNs: ${reason || failure.error?.message || status}`);
    return 'rejected';
  }

  async onModuleDestroy(): Promise<void> {
    const provider = this.provider;
    this.provider = null;
    await provider?.shutdown();
  }

  private client(): apn.Provider {
    const s = this.config.notifications.apns!;
    this.provider ??= new apn.Provider({
      token: { key: s.privateKey, keyId: s.keyId, teamId: s.teamId },
      production: s.production,
      ...(s.address ? { address: s.address.host, port: s.address.port } : {}),
      ...(s.ca ? { ca: s.ca } : {}),
      requestTimeout: PROVIDER_TIMEOUT_MS,
    } as apn.ProviderOptions);
    return this.provider;
  }
}
