/**
 * Raised when what one user may do towards another changed other than by a friendship: a block or
 * an unblock (`otherId` set), or an account deactivated or reactivated (`otherId` null: towards
 * everyone). Caches of who may message whom listen.
 */
export class RelationChangedEvent {
  static readonly event = 'relation.changed';
  constructor(
    readonly userId: string,
    readonly otherId: string | null,
  ) {}
}

declare module '../common/events/domain-events.js' {
  interface DomainEvents {
    'relation.changed': RelationChangedEvent;
  }
}
