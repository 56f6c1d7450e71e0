import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { queryRows } from '../database/sql.js';
import { AppError } from '../common/errors/app-error.js';
import { decodeCursor, encodeCursor, type Page, toPage } from '../common/pagination/cursor.js';
import { isUniqueViolation } from '../database/pg-errors.js';
import { BlocksService } from './blocks.service.js';
import { FriendRequest } from './friend-request.entity.js';
import { Friendship } from './friendship.entity.js';
import { FriendshipChangedEvent } from './friendship-changed.event.js';
import { UsersService } from './users.service.js';
import type { FriendDto } from './dto/friends.dto.js';

interface FriendRow {
  id: string;
  username: string;
  display_name: string;
  created_at: Date;
  since: Date;
}

@Injectable()
export class FriendsService {
  constructor(
    @InjectRepository(FriendRequest) private readonly requests: Repository<FriendRequest>,
    private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly blocks: BlocksService,
    private readonly events: EventEmitter2,
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
    const reverse = await this.requests.findOne({
      where: { fromUserId: toUserId, toUserId: fromUserId, status: 'pending' },
    });
    if (reverse) return { request: await this.accept(fromUserId, reverse.id), created: false };
    try {
      const request = await this.requests.save(
        this.requests.create({ fromUserId, toUserId, status: 'pending' }),
      );
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
    const qb = this.requests.createQueryBuilder('r').where(`r.status = 'pending'`);
    if (direction === 'incoming') qb.andWhere('r.to_user_id = :userId', { userId });
    else if (direction === 'outgoing') qb.andWhere('r.from_user_id = :userId', { userId });
    else qb.andWhere('(r.to_user_id = :userId OR r.from_user_id = :userId)', { userId });
    if (cursor) {
      const [at, id] = decodeCursor(cursor, ['string', 'string'] as const);
      qb.andWhere('(r.created_at, r.id) < (:at, :id)', { at, id });
    }
    const rows = await qb
      .orderBy('r.created_at', 'DESC')
      .addOrderBy('r.id', 'DESC')
      .limit(limit + 1)
      .getMany();
    return toPage(
      rows,
      limit,
      (r) => r,
      (r) => encodeCursor([r.createdAt.toISOString(), r.id]),
    );
  }

  /** Accepts a pending request addressed to the caller and creates the friendship both ways. */
  async accept(userId: string, requestId: string): Promise<FriendRequest> {
    const request = await this.dataSource.transaction(async (tx) => {
      const request = await this.pendingFor(tx, userId, requestId);
      request.status = 'accepted';
      request.respondedAt = new Date();
      await tx.getRepository(FriendRequest).save(request);
      await tx
        .createQueryBuilder()
        .insert()
        .into(Friendship)
        .values([
          { userId: request.fromUserId, friendId: request.toUserId },
          { userId: request.toUserId, friendId: request.fromUserId },
        ])
        .orIgnore()
        .execute();
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
    const rows = await queryRows<{ user_id: string }>(
      this.dataSource,
      `INSERT INTO friendships (user_id, friend_id) VALUES ($1, $2), ($2, $1) ON CONFLICT DO NOTHING RETURNING user_id`,
      [a, b],
    );
    if (rows.length > 0)
      this.events.emit(FriendshipChangedEvent.event, new FriendshipChangedEvent(a, b, true));
    return rows.length > 0;
  }

  async decline(userId: string, requestId: string): Promise<FriendRequest> {
    return this.dataSource.transaction(async (tx) => {
      const request = await this.pendingFor(tx, userId, requestId);
      request.status = 'declined';
      request.respondedAt = new Date();
      return tx.getRepository(FriendRequest).save(request);
    });
  }

  async list(userId: string, limit: number, cursor?: string): Promise<Page<FriendDto>> {
    const params: unknown[] = [userId, limit + 1];
    let after = '';
    if (cursor) {
      const [username] = decodeCursor(cursor, ['string'] as const);
      params.push(username);
      after = 'AND u.username_key > $3';
    }
    const rows = await queryRows<FriendRow & { username_key: string }>(
      this.dataSource,
      `SELECT u.id, u.username, u.username_key, u.display_name, u.created_at, f.created_at AS since
         FROM friendships f JOIN users u ON u.id = f.friend_id
        WHERE f.user_id = $1 AND u.deactivated_at IS NULL ${after}
        ORDER BY u.username_key ASC LIMIT $2`,
      params,
    );
    return toPage(
      rows,
      limit,
      (r) => ({
        id: r.id,
        username: r.username,
        displayName: r.display_name,
        createdAt: new Date(r.created_at).toISOString(),
        friendsSince: new Date(r.since).toISOString(),
      }),
      (r) => encodeCursor([r.username_key]),
    );
  }

  async remove(userId: string, friendId: string): Promise<void> {
    const removed = await this.unfriend(this.dataSource.manager, userId, friendId);
    if (!removed) throw AppError.notFound('Friend');
  }

  /** Deletes the friendship both ways; true when there was one. */
  async unfriend(manager: EntityManager, userId: string, friendId: string): Promise<boolean> {
    const result = await manager
      .createQueryBuilder()
      .delete()
      .from(Friendship)
      .where('(user_id = :a AND friend_id = :b) OR (user_id = :b AND friend_id = :a)', {
        a: userId,
        b: friendId,
      })
      .execute();
    const removed = (result.affected ?? 0) > 0;
    if (removed) {
      this.events.emit(FriendshipChangedEvent.event, new FriendshipChangedEvent(userId, friendId, false));
    }
    return removed;
  }

  async areFriends(a: string, b: string): Promise<boolean> {
    return this.dataSource.getRepository(Friendship).exists({ where: { userId: a, friendId: b } });
  }

  /**
   * Everything direct messaging needs to know about a pair, in one round trip: whether the
   * recipient is an active user, whether either blocked the other, whether they are friends.
   */
  async relation(
    userId: string,
    otherId: string,
  ): Promise<{ exists: boolean; blocked: boolean; friends: boolean }> {
    const [row] = await queryRows<{ exists: boolean; blocked: boolean; friends: boolean }>(
      this.dataSource,
      `SELECT EXISTS (SELECT 1 FROM users WHERE id = $2 AND deactivated_at IS NULL) AS exists,
              EXISTS (SELECT 1 FROM blocks WHERE (blocker_id = $1 AND blocked_id = $2)
                                              OR (blocker_id = $2 AND blocked_id = $1)) AS blocked,
              EXISTS (SELECT 1 FROM friendships WHERE user_id = $1 AND friend_id = $2) AS friends`,
      [userId, otherId],
    );
    return row ?? { exists: false, blocked: false, friends: false };
  }

  /** Friends with what presence needs (at most 5000, by username). */
  async presenceList(userId: string): Promise<{ id: string; username: string; lastSeenAt: Date | null }[]> {
    const rows = await queryRows<{ id: string; username: string; last_seen_at: Date | null }>(
      this.dataSource,
      `SELECT u.id, u.username, u.last_seen_at FROM friendships f JOIN users u ON u.id = f.friend_id
        WHERE f.user_id = $1 AND u.deactivated_at IS NULL ORDER BY u.username_key LIMIT 5000`,
      [userId],
    );
    return rows.map((r) => ({
      id: r.id,
      username: r.username,
      lastSeenAt: r.last_seen_at ? new Date(r.last_seen_at) : null,
    }));
  }

  async friendIdsOf(userId: string): Promise<string[]> {
    const rows = await queryRows<{ friend_id: string }>(
      this.dataSource,
      'SELECT friend_id FROM friendships WHERE user_id = $1',
      [userId],
    );
    return rows.map((r) => r.friend_id);
  }

  private async pendingFor(tx: EntityManager, userId: string, requestId: string): Promise<FriendRequest> {
    const request = await tx
      .getRepository(FriendRequest)
      .createQueryBuilder('r')
      .setLock('pessimistic_write')
      .where('r.id = :requestId', { requestId })
      .getOne();
    if (!request || (request.toUserId !== userId && request.fromUserId !== userId)) {
      throw AppError.notFound('Friend request');
    }
    if (request.toUserId !== userId)
      throw AppError.forbidden('Only the recipient can answer a friend request');
    if (request.status !== 'pending') throw AppError.conflict(`Friend request is already ${request.status}`);
    return request;
  }
}
