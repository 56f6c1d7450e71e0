import { Injectable } from '@nestjs/common';
import webpush from 'web-push';
import { VapidKeys } from '../vapid-keys.js';
import {
  outcomeOfStatus,
  postTo,
  type PushContent,
  type PushOutcome,
  type PushProvider,
  type PushTarget,
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

  async send(target: PushTarget, content: PushContent): Promise<PushOutcome> {
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
    const response = await postTo(request.endpoint, { headers, body: request.body }, 'the push service');
    await response.body?.cancel();
    return outcomeOfStatus(response.status, 'the push service');
  }
}
