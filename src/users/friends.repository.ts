import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { decodeCursor } from '../common/pagination/cursor.js';
import { type Db, queryRows } from '../database/sql.js';
import { FriendRequest } from './friend-request.entity.js';
import { Friendship } from './friendship.entity.js';

export interface FriendRow {
  id: string;
  username: string;
  usernameKey: string;
  displayName: string;
  createdAt: Date;
  since: Date;
}

/** The SQL of friend requests and friendships (stored both ways: one row per direction). */
@Injectable()
export class FriendsRepository {
  constructor(private readonly db: DataSource) {}

  findPending(fromUserId: string, toUserId: string): Promise<FriendRequest | null> {
    return this.db
      .getRepository(FriendRequest)
      .findOne({ where: { fromUserId, toUserId, status: 'pending' } });
  }

  insertRequest(fromUserId: string, toUserId: string): Promise<FriendRequest> {
    const repo = this.db.getRepository(FriendRequest);
    return repo.save(repo.create({ fromUserId, toUserId, status: 'pending' }));
  }

  /** The request, locked until the transaction ends. */
  lockRequest(tx: EntityManager, requestId: string): Promise<FriendRequest | null> {
    return tx
      .getRepository(FriendRequest)
      .createQueryBuilder('r')
      .setLock('pessimistic_write')
      .where('r.id = :requestId', { requestId })
      .getOne();
  }

  saveRequest(tx: EntityManager, request: FriendRequest): Promise<FriendRequest> {
    return tx.getRepository(FriendRequest).save(request);
  }

  /** Declines every pending request between two users, either way. */
  async declinePendingBetween(tx: EntityManager, a: string, b: string): Promise<void> {
    await tx
      .createQueryBuilder()
      .update(FriendRequest)
      .set({ status: 'declined', respondedAt: () => 'now()' })
      .where(
        `status = 'pending' AND ((from_user_id = :a AND to_user_id = :b) OR (from_user_id = :b AND to_user_id = :a))`,
        { a, b },
      )
      .execute();
  }

  /** Pending requests to and/or from the user, newest first, after the cursor `[createdAt, id]`. */
  pendingOf(
    userId: string,
    direction: 'incoming' | 'outgoing' | undefined,
    limit: number,
    cursor?: string,
  ): Promise<FriendRequest[]> {
    const qb = this.db.getRepository(FriendRequest).createQueryBuilder('r').where(`r.status = 'pending'`);
    if (direction === 'incoming') qb.andWhere('r.to_user_id = :userId', { userId });
    else if (direction === 'outgoing') qb.andWhere('r.from_user_id = :userId', { userId });
    else qb.andWhere('(r.to_user_id = :userId OR r.from_user_id = :userId)', { userId });
    if (cursor) {
      const [at, id] = decodeCursor(cursor, ['timestamp', 'uuid'] as const);
      qb.andWhere('(r.created_at, r.id) < (:at, :id)', { at, id });
    }
    return qb.orderBy('r.created_at', 'DESC').addOrderBy('r.id', 'DESC').limit(limit).getMany();
  }

  /** Makes two users friends both ways; returns how many rows were new (0 when they already were). */
  async insertFriendship(db: Db, a: string, b: string): Promise<number> {
    const rows = await queryRows<{ user_id: string }>(
      db,
      `INSERT INTO friendships (user_id, friend_id) VALUES ($1, $2), ($2, $1) ON CONFLICT DO NOTHING RETURNING user_id`,
      [a, b],
    );
    return rows.length;
  }

  /** Ends a friendship both ways; true when there was one. */
  async deleteFriendship(db: Db, a: string, b: string): Promise<boolean> {
    const result = await db
      .createQueryBuilder()
      .delete()
      .from(Friendship)
      .where('(user_id = :a AND friend_id = :b) OR (user_id = :b AND friend_id = :a)', { a, b })
      .execute();
    return (result.affected ?? 0) > 0;
  }

  areFriends(a: string, b: string): Promise<boolean> {
    return this.db.getRepository(Friendship).exists({ where: { userId: a, friendId: b } });
  }

  /** Active friends of the user by username, after the cursor `[usernameKey]`. */
  async friendsOf(userId: string, limit: number, cursor?: string): Promise<FriendRow[]> {
    const params: unknown[] = [userId, limit];
    let after = '';
    if (cursor) {
      const [username] = decodeCursor(cursor, ['text'] as const);
      params.push(username);
      after = 'AND u.username_key > $3';
    }
    const rows = await queryRows<{
      id: string;
      username: string;
      username_key: string;
      display_name: string;
      created_at: Date;
      since: Date;
    }>(
      this.db,
      `SELECT u.id, u.username, u.username_key, u.display_name, u.created_at, f.created_at AS since
         FROM friendships f JOIN users u ON u.id = f.friend_id
        WHERE f.user_id = $1 AND u.deactivated_at IS NULL ${after}
        ORDER BY u.username_key ASC LIMIT $2`,
      params,
    );
    return rows.map((r) => ({
      id: r.id,
      username: r.username,
      usernameKey: r.username_key,
      displayName: r.display_name,
      createdAt: new Date(r.created_at),
      since: new Date(r.since),
    }));
  }

  /** Whether the other user is active, whether either blocked the other, whether they are friends. */
  async relation(
    userId: string,
    otherId: string,
  ): Promise<{ exists: boolean; blocked: boolean; friends: boolean }> {
    const [row] = await queryRows<{ exists: boolean; blocked: boolean; friends: boolean }>(
      this.db,
      `SELECT EXISTS (SELECT 1 FROM users WHERE id = $2 AND deactivated_at IS NULL) AS exists,
              EXISTS (SELECT 1 FROM blocks WHERE (blocker_id = $1 AND blocked_id = $2)
                                              OR (blocker_id = $2 AND blocked_id = $1)) AS blocked,
              EXISTS (SELECT 1 FROM friendships WHERE user_id = $1 AND friend_id = $2) AS friends`,
      [userId, otherId],
    );
    return row ?? { exists: false, blocked: false, friends: false };
  }

  /** Active friends with what presence needs (at most 5000, by username). */
  /** Friends with what presence needs, by username after `afterUsernameKey`. */
  async presenceList(
    userId: string,
    limit: number,
    afterUsernameKey?: string,
  ): Promise<{ id: string; username: string; usernameKey: string; lastSeenAt: Date | null }[]> {
    const rows = await queryRows<{
      id: string;
      username: string;
      username_key: string;
      last_seen_at: Date | null;
    }>(
      this.db,
      `SELECT u.id, u.username, u.username_key, u.last_seen_at FROM friendships f JOIN users u ON u.id = f.friend_id
        WHERE f.user_id = $1 AND u.deactivated_at IS NULL AND ($3::text IS NULL OR u.username_key > $3)
        ORDER BY u.username_key LIMIT $2`,
      [userId, limit, afterUsernameKey ?? null],
    );
    return rows.map((r) => ({
      id: r.id,
      username: r.username,
      usernameKey: r.username_key,
      lastSeenAt: r.last_seen_at ? new Date(r.last_seen_at) : null,
    }));
  }

  async friendIdsOf(userId: string): Promise<string[]> {
    const rows = await queryRows<{ friend_id: string }>(
      this.db,
      'SELECT friend_id FROM friendships WHERE user_id = $1',
      [userId],
    );
    return rows.map((r) => r.friend_id);
  }
}
