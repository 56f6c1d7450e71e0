import { Injectable } from '@nestjs/common';
import { createHmac } from 'node:crypto';
import { AppConfig } from '../../common/config/app-config.js';
import { postTo, RetryableError } from './push-provider.js';

/** What the webhook receives (DESIGN: Notifications). */
export interface WebhookBody {
  jobId: string;
  userId: string;
  conversationId: string;
  messageId: string;
  seq: number;
  count: number;
  title: string;
  body: string;
}

/** The signature header's value: `sha256=` + hex HMAC-SHA256 of the raw body. */
export const signWebhookBody = (secret: string, raw: string): string =>
  `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;

/** POSTs a notification to NOTIFICATION_WEBHOOK_URL, signed; any 2xx completes it, anything else is retried. */
@Injectable()
export class WebhookProvider {
  constructor(private readonly config: AppConfig) {}

  get configured(): boolean {
    return Boolean(this.config.notifications.webhookUrl);
  }

  async send(body: WebhookBody): Promise<void> {
    const { webhookUrl, webhookSecret } = this.config.notifications;
    if (!webhookUrl || !webhookSecret) return;
    const raw = JSON.stringify(body);
    const response = await postTo(
      webhookUrl,
      {
        headers: {
          'Content-Type': 'application/json',
          'X-Relay-Job-Id': body.jobId,
          'X-Relay-Signature': signWebhookBody(webhookSecret, raw),
        },
        body: raw,
      },
      'the webhook',
    );
    await response.body?.cancel();
    if (!response.ok) throw new RetryableError(`webhook answered ${response.status}`);
  }
}
