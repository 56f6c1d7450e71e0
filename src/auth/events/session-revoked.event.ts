/** Raised after a session is revoked; the gateway disconnects its sockets. */
export class SessionRevokedEvent {
  static readonly event = 'session.revoked';
  constructor(
    readonly sessionId: string,
    readonly userId: string,
    readonly reason: string,
  ) {}
}

declare module '../../common/events/domain-events.js' {
  interface DomainEvents {
    'session.revoked': SessionRevokedEvent;
  }
}
