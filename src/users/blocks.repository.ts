import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { decodeCursor } from '../common/pagination/cursor.js';
import { queryRows } from '../database/sql.js';
import { Block } from './block.entity.js';

export interface BlockedRow {
  id: string;
  username: string;
  displayName: string;
  createdAt: Date;
}

/** The SQL of blocks. */
@Injectable()
export class BlocksRepository {
  constructor(private readonly db: DataSource) {}

  /** Inserts a block; false when it existed already. */
  async insert(tx: EntityManager, blockerId: string, blockedId: string): Promise<boolean> {
    const rows = await queryRows<unknown>(
      tx,
      'INSERT INTO blocks (blocker_id, blocked_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING blocker_id',
      [blockerId, blockedId],
    );
    return rows.length > 0;
  }

  find(blockerId: string, blockedId: string): Promise<Block | null> {
    return this.db.getRepository(Block).findOneBy({ blockerId, blockedId });
  }

  async delete(blockerId: string, blockedId: string): Promise<boolean> {
    const result = await this.db.getRepository(Block).delete({ blockerId, blockedId });
    return (result.affected ?? 0) > 0;
  }

  /** Users the blocker blocked, newest first, after the cursor `[createdAt, userId]`. */
  async blockedBy(blockerId: string, limit: number, cursor?: string): Promise<BlockedRow[]> {
    const params: unknown[] = [blockerId, limit];
    let after = '';
    if (cursor) {
      const [at, id] = decodeCursor(cursor, ['timestamp', 'uuid'] as const);
      params.push(at, id);
      after = 'AND (b.created_at, b.blocked_id) < ($3, $4)';
    }
    const rows = await queryRows<{ id: string; username: string; display_name: string; created_at: Date }>(
      this.db,
      `SELECT u.id, u.username, u.display_name, b.created_at
         FROM blocks b JOIN users u ON u.id = b.blocked_id
        WHERE b.blocker_id = $1 ${after}
        ORDER BY b.created_at DESC, b.blocked_id DESC LIMIT $2`,
      params,
    );
    return rows.map((r) => ({
      id: r.id,
      username: r.username,
      displayName: r.display_name,
      createdAt: new Date(r.created_at),
    }));
  }

  /** Of these pairs, those where either user has blocked the other (as `a:b`, in the order given). */
  async eitherWayAmong(pairs: [string, string][]): Promise<Set<string>> {
    if (pairs.length === 0) return new Set();
    const rows = await queryRows<{ a: string; b: string }>(
      this.db,
      `SELECT p.a, p.b FROM unnest($1::uuid[], $2::uuid[]) AS p(a, b)
        WHERE EXISTS (SELECT 1 FROM blocks
                       WHERE (blocker_id = p.a AND blocked_id = p.b) OR (blocker_id = p.b AND blocked_id = p.a))`,
      [pairs.map(([a]) => a), pairs.map(([, b]) => b)],
    );
    return new Set(rows.map((r) => `${r.a}:${r.b}`));
  }

  /** Everyone the user blocked or was blocked by. */
  async eitherWayOf(userId: string): Promise<string[]> {
    const rows = await queryRows<{ id: string }>(
      this.db,
      `SELECT blocked_id AS id FROM blocks WHERE blocker_id = $1
       UNION SELECT blocker_id FROM blocks WHERE blocked_id = $1`,
      [userId],
    );
    return rows.map((r) => r.id);
  }

  /** True when either user has blocked the other. */
  async eitherWay(a: string, b: string): Promise<boolean> {
    const rows = await queryRows<unknown>(
      this.db,
      `SELECT 1 FROM blocks WHERE (blocker_id = $1 AND blocked_id = $2) OR (blocker_id = $2 AND blocked_id = $1) LIMIT 1`,
      [a, b],
    );
    return rows.length > 0;
  }
}
