import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { DataSource } from 'typeorm';
import { queryRows } from '../database/sql.js';
import { AppError } from '../common/errors/app-error.js';
import { decodeCursor, encodeCursor, type Page, toPage } from '../common/pagination/cursor.js';
import { Block } from './block.entity.js';
import { FriendRequest } from './friend-request.entity.js';
import { Friendship } from './friendship.entity.js';
import { FriendshipChangedEvent } from './friendship-changed.event.js';
import { UsersService } from './users.service.js';
import type { BlockDto } from './dto/friends.dto.js';

@Injectable()
export class BlocksService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly events: EventEmitter2,
  ) {}

  /**
   * Blocks a user: ends any friendship and pending request between the two, and stops direct
   * messages both ways. Returns false when the block already existed.
   */
  async block(blockerId: string, blockedId: string): Promise<{ block: Block; created: boolean }> {
    if (blockerId === blockedId) throw AppError.validation('You cannot block yourself');
    if (!(await this.users.exists(blockedId))) throw AppError.notFound('User');
    const { created, unfriended } = await this.dataSource.transaction(async (tx) => {
      const inserted = await queryRows<unknown>(
        tx,
        'INSERT INTO blocks (blocker_id, blocked_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING blocker_id',
        [blockerId, blockedId],
      );
      const unfriended = await tx
        .createQueryBuilder()
        .delete()
        .from(Friendship)
        .where('(user_id = :a AND friend_id = :b) OR (user_id = :b AND friend_id = :a)', {
          a: blockerId,
          b: blockedId,
        })
        .execute();
      await tx
        .createQueryBuilder()
        .update(FriendRequest)
        .set({ status: 'declined', respondedAt: () => 'now()' })
        .where(
          `status = 'pending' AND ((from_user_id = :a AND to_user_id = :b) OR (from_user_id = :b AND to_user_id = :a))`,
          {
            a: blockerId,
            b: blockedId,
          },
        )
        .execute();
      return { created: inserted.length > 0, unfriended: (unfriended.affected ?? 0) > 0 };
    });
    if (unfriended) {
      this.events.emit(FriendshipChangedEvent.event, new FriendshipChangedEvent(blockerId, blockedId, false));
    }
    const block = await this.dataSource.getRepository(Block).findOneByOrFail({ blockerId, blockedId });
    return { block, created };
  }

  async unblock(blockerId: string, blockedId: string): Promise<void> {
    const result = await this.dataSource.getRepository(Block).delete({ blockerId, blockedId });
    if (!result.affected) throw AppError.notFound('Block');
  }

  async list(blockerId: string, limit: number, cursor?: string): Promise<Page<BlockDto>> {
    const params: unknown[] = [blockerId, limit + 1];
    let after = '';
    if (cursor) {
      const [at, id] = decodeCursor(cursor, ['string', 'string'] as const);
      params.push(at, id);
      after = 'AND (b.created_at, b.blocked_id) < ($3, $4)';
    }
    const rows = await queryRows<{ id: string; username: string; display_name: string; created_at: Date }>(
      this.dataSource,
      `SELECT u.id, u.username, u.display_name, b.created_at
         FROM blocks b JOIN users u ON u.id = b.blocked_id
        WHERE b.blocker_id = $1 ${after}
        ORDER BY b.created_at DESC, b.blocked_id DESC LIMIT $2`,
      params,
    );
    return toPage(
      rows,
      limit,
      (r) => ({
        userId: r.id,
        username: r.username,
        displayName: r.display_name,
        createdAt: new Date(r.created_at).toISOString(),
      }),
      (r) => encodeCursor([new Date(r.created_at).toISOString(), r.id]),
    );
  }

  /** True when either user has blocked the other. */
  async isBlockedEitherWay(a: string, b: string): Promise<boolean> {
    const rows = await queryRows<unknown>(
      this.dataSource,
      `SELECT 1 FROM blocks WHERE (blocker_id = $1 AND blocked_id = $2) OR (blocker_id = $2 AND blocked_id = $1) LIMIT 1`,
      [a, b],
    );
    return rows.length > 0;
  }
}
