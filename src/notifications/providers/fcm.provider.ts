import { Injectable } from '@nestjs/common';
import { importPKCS8, SignJWT } from 'jose';
import { AppConfig } from '../../common/config/app-config.js';
import {
  outcomeOfStatus,
  postTo,
  type PushContent,
  type PushOutcome,
  type PushProvider,
  type PushTarget,
  RetryableError,
} from './push-provider.js';

const SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';

interface FcmError {
  error?: { status?: string; details?: { errorCode?: string }[] };
}

/**
 * Firebase Cloud Messaging through the HTTP v1 API with a service account: a signed JWT (RS256)
 * is exchanged for an OAuth 2 access token (cached until shortly before it expires), then
 * `POST {FCM_ENDPOINT}/v1/projects/{id}/messages:send`.
 */
@Injectable()
export class FcmProvider implements PushProvider {
  readonly kind = 'fcm' as const;
  private token: { value: string; until: number } | null = null;

  constructor(private readonly config: AppConfig) {}

  get configured(): boolean {
    return Boolean(this.config.notifications.fcm);
  }

  async send(target: PushTarget, content: PushContent): Promise<PushOutcome> {
    const fcm = this.config.notifications.fcm;
    if (!fcm) return 'rejected';
    const data = Object.fromEntries(Object.entries(content).map(([k, v]) => [k, String(v)]));
    const message = {
      token: target.address,
      notification: { title: content.title, body: content.body },
      data,
      android: { ttl: '86400s', priority: 'high', collapse_key: content.conversationId },
      apns: { headers: { 'apns-expiration': String(Math.floor(Date.now() / 1000) + 86400) } },
    };
    const response = await postTo(
      `${fcm.endpoint}/v1/projects/${encodeURIComponent(fcm.projectId)}/messages:send`,
      {
        headers: { Authorization: `Bearer ${await this.accessToken()}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ message }),
      },
      'FCM',
    );
    if (response.status === 401) {
      this.token = null;
      throw new RetryableError('FCM refused the access token');
    }
    const text = await response.text();
    if (response.ok) return 'delivered';
    let parsed: FcmError = {};
    try {
      parsed = JSON.parse(text) as FcmError;
    } catch {
      // Not JSON: judged by status alone.
    }
    if (parsed.error?.details?.some((d) => d.errorCode === 'UNREGISTERED')) return 'gone';
    return outcomeOfStatus(response.status, 'FCM');
  }

  private async accessToken(): Promise<string> {
    if (this.token && this.token.until > Date.now()) return this.token.value;
    const fcm = this.config.notifications.fcm!;
    const assertion = await new SignJWT({ scope: SCOPE })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .setIssuer(fcm.clientEmail)
      .setSubject(fcm.clientEmail)
      .setAudience(fcm.tokenUrl)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(await importPKCS8(fcm.privateKey, 'RS256'));
    const response = await postTo(
      fcm.tokenUrl,
      {
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
          assertion,
        }).toString(),
      },
      'the FCM token endpoint',
    );
    const body = (await response.json().catch(() => ({}))) as { access_token?: string; expires_in?: number };
    if (!response.ok || !body.access_token)
      throw new RetryableError(`FCM token endpoint answered ${response.status}`);
    const lifetime = Math.max(60, Number(body.expires_in ?? 3600));
    this.token = { value: body.access_token, until: Date.now() + (lifetime - 60) * 1000 };
    return this.token.value;
  }
}
