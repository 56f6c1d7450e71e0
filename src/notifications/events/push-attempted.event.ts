/** One delivery attempt to a push provider or the webhook ended (for metrics). */
export class PushAttemptedEvent {
  static readonly event = 'notifications.push-attempted';
  constructor(
    readonly provider: 'webpush' | 'apns' | 'fcm' | 'webhook',
    /** `failed`: will be retried (or failed for good after the last attempt). */
    readonly outcome: 'delivered' | 'gone' | 'rejected' | 'failed',
    readonly seconds: number,
  ) {}
}

declare module '../../common/events/domain-events.js' {
  interface DomainEvents {
    'notifications.push-attempted': PushAttemptedEvent;
  }
}
