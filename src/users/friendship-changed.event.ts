/** Raised when two users become friends or stop being friends (presence follows friendships). */
export class FriendshipChangedEvent {
  static readonly event = 'friendship.changed';
  constructor(
    readonly userId: string,
    readonly friendId: string,
    readonly friends: boolean,
  ) {}
}

declare module '../common/events/domain-events.js' {
  interface DomainEvents {
    'friendship.changed': FriendshipChangedEvent;
  }
}
