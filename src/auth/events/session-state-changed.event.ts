import type { SessionState } from '../session.entity.js';

/** A session was marked active or inactive (the app came to the foreground or went to the background). */
export class SessionStateChangedEvent {
  static readonly event = 'session.state-changed';
  constructor(
    readonly sessionId: string,
    readonly userId: string,
    readonly state: SessionState,
  ) {}
}

declare module '../../common/events/domain-events.js' {
  interface DomainEvents {
    'session.state-changed': SessionStateChangedEvent;
  }
}
