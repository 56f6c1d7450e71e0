import { Injectable } from '@nestjs/common';
import webpush from 'web-push';
import { VapidKeys } from '../vapid-keys.js';
import {
  outcomeOfStatus,
  PROVIDER_TIMEOUT_MS,
  type PushContent,
  type PushProvider,
  type PushTarget,
  RetryableError,
} from './push-provider.js';

const TTL_SECONDS = 24 * 3600;

/**
 * Web Push (RFC 8030): `web-push` signs the VAPID JWT and encrypts the payload (aes128gcm, RFC
 * 8291); the request goes out through fetch, never following a redirect, so http endpoints of
 * listed on-premise push services work too. The conversation id is the `Topic`, so a push service
 * holding an undelivered notification of the same conversation replaces it.
 */
@Injectable()
export class WebPushProvider implements PushProvider {
  readonly kind = 'webpush' as const;
  readonly configured = true;

  constructor(private readonly vapid: VapidKeys) {}

  async send(target: PushTarget, content: PushContent): Promise<ReturnType<typeof outcomeOfStatus>> {
    const keys = this.vapid.current;
    const request = webpush.generateRequestDetails(
      { endpoint: target.address, keys: { p256dh: target.p256dh ?? '', auth: target.auth ?? '' } },
      JSON.stringify(content),
      {
        vapidDetails: { subject: keys.subject, publicKey: keys.publicKey, privateKey: keys.privateKey },
        TTL: TTL_SECONDS,
        contentEncoding: 'aes128gcm',
        urgency: 'high',
        topic: content.conversationId.replace(/-/g, ''),
      },
    );
    const headers = Object.fromEntries(
      Object.entries(request.headers).filter(([name]) => name.toLowerCase() !== 'content-length'),
    ) as Record<string, string>;
    let response: Response;
    try {
      response = await fetch(request.endpoint, {
        method: 'POST',
        headers,
        body: request.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS),
      });
    } catch (error) {
      throw new RetryableError(`push service unreachable: ${(error as Error).message}`);
    }
    await response.body?.cancel();
    return outcomeOfStatus(response.status, 'the push service');
  }
}
