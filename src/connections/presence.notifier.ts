import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { OnDomainEvent } from '../common/events/domain-events.js';
import { loggable } from '../common/errors/all-exceptions.filter.js';
import type { RelaySocket } from '../realtime/server-events.js';
import { SocketEmitter } from '../realtime/socket-emitter.js';
import { FriendshipChangedEvent } from '../users/friendship-changed.event.js';
import { FriendsService } from '../users/friends.service.js';
import { UsersService } from '../users/users.service.js';
import { PresenceService } from './presence.service.js';

/**
 * Tells friends when a user comes online (first socket anywhere) and goes offline (last socket
 * gone, with lastSeenAt), and tells two users each other's presence when they become friends.
 */
@Injectable()
export class PresenceNotifier implements OnModuleInit {
  private readonly logger = new Logger(PresenceNotifier.name);
  /** Disconnect bookkeeping still running; shutdown waits for it before Redis and the database close. */
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly presence: PresenceService,
    private readonly friends: FriendsService,
    private readonly users: UsersService,
    private readonly emitter: SocketEmitter,
  ) {}

  /** Users whose node died (or came back from the dead): their friends hear it too. */
  onModuleInit(): void {
    this.presence.onChange((userIds, online) => {
      for (const userId of userIds) {
        void (online ? Promise.resolve(new Date()) : this.users.touchLastSeen(userId))
          .then((lastSeenAt) => this.announce(userId, online, lastSeenAt))
          .catch((error: unknown) =>
            this.logger.warn({ err: loggable(error) }, 'presence update for a node’s users failed'),
          );
      }
    });
  }

  async connected(socket: RelaySocket): Promise<void> {
    const auth = socket.data.auth;
    if (!auth) return;
    try {
      // Recorded at admission (SocketHandshake reserved the socket): no round trip here.
      if (this.presence.connected(socket.id)) await this.announce(auth.userId, true, new Date());
    } catch (error) {
      this.logger.warn({ err: loggable(error) }, 'presence update on connect failed');
    }
  }

  disconnected(socket: RelaySocket): Promise<void> {
    const work = this.leave(socket).finally(() => this.pending.delete(work));
    this.pending.add(work);
    return work;
  }

  /** Waits for the disconnect bookkeeping in flight. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  /** New friends learn each other's presence at once; their connection lists need no reload. */
  @OnDomainEvent(FriendshipChangedEvent.event)
  async onFriendshipChanged(e: FriendshipChangedEvent): Promise<void> {
    if (!e.friends) return;
    try {
      const [online, profiles] = await Promise.all([
        this.presence.onlineOf([e.userId, e.friendId]),
        this.users.findMany([e.userId, e.friendId]),
      ]);
      const lastSeen = new Map(profiles.map((u) => [u.id, u.lastSeenAt?.toISOString() ?? null]));
      for (const [userId, friendId] of [
        [e.userId, e.friendId],
        [e.friendId, e.userId],
      ] as const) {
        this.emitter.toUsers([friendId], 'presence', {
          userId,
          online: online.has(userId),
          lastSeenAt: lastSeen.get(userId) ?? null,
        });
      }
    } catch (error) {
      this.logger.warn({ err: loggable(error) }, 'presence update for new friends failed');
    }
  }

  private async leave(socket: RelaySocket): Promise<void> {
    const auth = socket.data.auth;
    if (!auth) return;
    try {
      if (await this.presence.disconnected(auth.userId, socket.id)) {
        const lastSeenAt = await this.users.touchLastSeen(auth.userId);
        await this.announce(auth.userId, false, lastSeenAt);
      }
    } catch (error) {
      this.logger.warn({ err: loggable(error) }, 'presence update on disconnect failed');
    }
  }

  private async announce(userId: string, online: boolean, lastSeenAt: Date | null): Promise<void> {
    const friendIds = await this.friends.friendIdsOf(userId);
    this.emitter.toUsers(friendIds, 'presence', {
      userId,
      online,
      lastSeenAt: lastSeenAt?.toISOString() ?? null,
    });
  }
}
