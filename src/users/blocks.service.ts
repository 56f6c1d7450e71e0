import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppError } from '../common/errors/app-error.js';
import { DomainEventBus } from '../common/events/domain-events.js';
import { encodeCursor, type Page, toPage } from '../common/pagination/cursor.js';
import type { Block } from './block.entity.js';
import { BlocksRepository } from './blocks.repository.js';
import type { BlockDto } from './dto/friends.dto.js';
import { FriendsRepository } from './friends.repository.js';
import { FriendshipChangedEvent } from './friendship-changed.event.js';
import { RelationChangedEvent } from './relation-changed.event.js';
import { UsersService } from './users.service.js';

@Injectable()
export class BlocksService {
  constructor(
    private readonly db: DataSource,
    private readonly blocks: BlocksRepository,
    private readonly friendships: FriendsRepository,
    private readonly users: UsersService,
    private readonly events: DomainEventBus,
  ) {}

  /**
   * Blocks a user: ends any friendship and pending request between the two, and stops direct
   * messages both ways. Returns false when the block already existed.
   */
  async block(blockerId: string, blockedId: string): Promise<{ block: Block; created: boolean }> {
    if (blockerId === blockedId) throw AppError.validation('You cannot block yourself');
    if (!(await this.users.exists(blockedId))) throw AppError.notFound('User');
    const { created, unfriended } = await this.db.transaction(async (tx) => {
      const created = await this.blocks.insert(tx, blockerId, blockedId);
      const unfriended = await this.friendships.deleteFriendship(tx, blockerId, blockedId);
      await this.friendships.declinePendingBetween(tx, blockerId, blockedId);
      return { created, unfriended };
    });
    if (unfriended) {
      this.events.emit(FriendshipChangedEvent.event, new FriendshipChangedEvent(blockerId, blockedId, false));
    }
    if (created) this.events.emit(RelationChangedEvent.event, new RelationChangedEvent(blockerId, blockedId));
    const block = (await this.blocks.find(blockerId, blockedId))!;
    return { block, created };
  }

  async unblock(blockerId: string, blockedId: string): Promise<void> {
    if (!(await this.blocks.delete(blockerId, blockedId))) throw AppError.notFound('Block');
    this.events.emit(RelationChangedEvent.event, new RelationChangedEvent(blockerId, blockedId));
  }

  async list(blockerId: string, limit: number, cursor?: string): Promise<Page<BlockDto>> {
    const rows = await this.blocks.blockedBy(blockerId, limit + 1, cursor);
    return toPage(
      rows,
      limit,
      (r) => ({
        userId: r.id,
        username: r.username,
        displayName: r.displayName,
        createdAt: r.createdAt.toISOString(),
      }),
      (r) => encodeCursor([r.createdAt.toISOString(), r.id]),
    );
  }

  /** Of these pairs of users, those where either has blocked the other, as `a:b` in the order given. */
  blockedAmong(pairs: [string, string][]): Promise<Set<string>> {
    return this.blocks.eitherWayAmong(pairs);
  }

  /** Everyone the user blocked or was blocked by. */
  blockedEitherWayOf(userId: string): Promise<string[]> {
    return this.blocks.eitherWayOf(userId);
  }

  /** True when either user has blocked the other. */
  isBlockedEitherWay(a: string, b: string): Promise<boolean> {
    return this.blocks.eitherWay(a, b);
  }
}
