import { Injectable } from '@nestjs/common';
import type { PushKind } from '../push-subscription.entity.js';
import { ApnsProvider } from './apns.provider.js';
import { FcmProvider } from './fcm.provider.js';
import type { PushProvider } from './push-provider.js';
import { WebPushProvider } from './web-push.provider.js';

/** The push provider of each subscription kind. */
@Injectable()
export class DeliveryProviders {
  private readonly byKind: Record<PushKind, PushProvider>;

  constructor(webPush: WebPushProvider, apns: ApnsProvider, fcm: FcmProvider) {
    this.byKind = { webpush: webPush, apns, fcm };
  }

  of(kind: PushKind): PushProvider {
    return this.byKind[kind];
  }

  configured(kind: PushKind): boolean {
    return this.byKind[kind].configured;
  }
}
