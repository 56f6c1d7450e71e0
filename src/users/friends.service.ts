import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { AppError } from '../common/errors/app-error.js';
import { DomainEventBus } from '../common/events/domain-events.js';
import { decodeCursor, encodeCursor, type Page, toPage } from '../common/pagination/cursor.js';
import type { Db } from '../database/sql.js';
import { isUniqueViolation } from '../database/pg-errors.js';
import { BlocksService } from './blocks.service.js';
import type { FriendDto } from './dto/friends.dto.js';
import type { FriendRequest } from './friend-request.entity.js';
import { FriendsRepository } from './friends.repository.js';
import { FriendshipChangedEvent } from './friendship-changed.event.js';
import { UsersService } from './users.service.js';

@Injectable()
export class FriendsService {
  constructor(
    private readonly db: DataSource,
    private readonly friendships: FriendsRepository,
    private readonly users: UsersService,
    private readonly blocks: BlocksService,
    private readonly events: DomainEventBus,
  ) {}

  /**
   * Sends a friend request. If the other user already asked the caller, this accepts theirs
   * instead of opening a second one.
   */
  async request(fromUserId: string, toUserId: string): Promise<{ request: FriendRequest; created: boolean }> {
    if (fromUserId === toUserId) throw AppError.validation('You cannot send a friend request to yourself');
    if (!(await this.users.exists(toUserId))) throw AppError.notFound('User');
    if (await this.blocks.isBlockedEitherWay(fromUserId, toUserId)) {
      throw AppError.forbidden('You cannot send a friend request to this user');
    }
    if (await this.areFriends(fromUserId, toUserId)) throw AppError.conflict('You are already friends');
    const reverse = await this.friendships.findPending(toUserId, fromUserId);
    if (reverse) return { request: await this.accept(fromUserId, reverse.id), created: false };
    try {
      const request = await this.friendships.insertRequest(fromUserId, toUserId);
      return { request, created: true };
    } catch (error) {
      if (isUniqueViolation(error))
        throw AppError.conflict('A friend request to this user is already pending');
      throw error;
    }
  }

  async listRequests(
    userId: string,
    direction: 'incoming' | 'outgoing' | undefined,
    limit: number,
    cursor?: string,
  ): Promise<Page<FriendRequest>> {
    const rows = await this.friendships.pendingOf(userId, direction, limit + 1, cursor);
    return toPage(
      rows,
      limit,
      (r) => r,
      (r) => encodeCursor([r.createdAt.toISOString(), r.id]),
    );
  }

  /** Accepts a pending request addressed to the caller and creates the friendship both ways. */
  async accept(userId: string, requestId: string): Promise<FriendRequest> {
    const request = await this.db.transaction(async (tx) => {
      const request = await this.pendingFor(tx, userId, requestId);
      request.status = 'accepted';
      request.respondedAt = new Date();
      await this.friendships.saveRequest(tx, request);
      await this.friendships.insertFriendship(tx, request.fromUserId, request.toUserId);
      return request;
    });
    this.events.emit(
      FriendshipChangedEvent.event,
      new FriendshipChangedEvent(request.fromUserId, request.toUserId, true),
    );
    return request;
  }

  /** Makes two users friends directly (host provisioning, accepted invites); idempotent. */
  async makeFriends(a: string, b: string): Promise<boolean> {
    const made = (await this.friendships.insertFriendship(this.db, a, b)) > 0;
    if (made) this.events.emit(FriendshipChangedEvent.event, new FriendshipChangedEvent(a, b, true));
    return made;
  }

  async decline(userId: string, requestId: string): Promise<FriendRequest> {
    return this.db.transaction(async (tx) => {
      const request = await this.pendingFor(tx, userId, requestId);
      request.status = 'declined';
      request.respondedAt = new Date();
      return this.friendships.saveRequest(tx, request);
    });
  }

  async list(userId: string, limit: number, cursor?: string): Promise<Page<FriendDto>> {
    const rows = await this.friendships.friendsOf(userId, limit + 1, cursor);
    return toPage(
      rows,
      limit,
      (r) => ({
        id: r.id,
        username: r.username,
        displayName: r.displayName,
        createdAt: r.createdAt.toISOString(),
        friendsSince: r.since.toISOString(),
      }),
      (r) => encodeCursor([r.usernameKey]),
    );
  }

  async remove(userId: string, friendId: string): Promise<void> {
    const removed = await this.unfriend(this.db, userId, friendId);
    if (!removed) throw AppError.notFound('Friend');
  }

  /** Ends the friendship both ways (in the caller's transaction when given one); true when there was one. */
  async unfriend(db: Db, userId: string, friendId: string): Promise<boolean> {
    const removed = await this.friendships.deleteFriendship(db, userId, friendId);
    if (removed) {
      this.events.emit(FriendshipChangedEvent.event, new FriendshipChangedEvent(userId, friendId, false));
    }
    return removed;
  }

  areFriends(a: string, b: string): Promise<boolean> {
    return this.friendships.areFriends(a, b);
  }

  /**
   * Everything direct messaging needs to know about a pair, in one round trip: whether the
   * recipient is an active user, whether either blocked the other, whether they are friends.
   */
  relation(
    userId: string,
    otherId: string,
  ): Promise<{ exists: boolean; blocked: boolean; friends: boolean }> {
    return this.friendships.relation(userId, otherId);
  }

  /** A page of friends with what presence needs, by username. */
  async presenceList(
    userId: string,
    limit: number,
    cursor?: string,
  ): Promise<Page<{ id: string; username: string; lastSeenAt: Date | null }>> {
    const after = cursor ? decodeCursor(cursor, ['text'] as const)[0] : undefined;
    const rows = await this.friendships.presenceList(userId, limit + 1, after);
    return toPage(
      rows,
      limit,
      ({ id, username, lastSeenAt }) => ({ id, username, lastSeenAt }),
      (r) => encodeCursor([r.usernameKey]),
    );
  }

  friendIdsOf(userId: string): Promise<string[]> {
    return this.friendships.friendIdsOf(userId);
  }

  private async pendingFor(tx: EntityManager, userId: string, requestId: string): Promise<FriendRequest> {
    const request = await this.friendships.lockRequest(tx, requestId);
    if (!request || (request.toUserId !== userId && request.fromUserId !== userId)) {
      throw AppError.notFound('Friend request');
    }
    if (request.toUserId !== userId)
      throw AppError.forbidden('Only the recipient can answer a friend request');
    if (request.status !== 'pending') throw AppError.conflict(`Friend request is already ${request.status}`);
    return request;
  }
}
