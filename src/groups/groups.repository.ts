import { Injectable } from '@nestjs/common';
import { DataSource, type DeepPartial, type EntityManager, type SelectQueryBuilder } from 'typeorm';
import { decodeCursor } from '../common/pagination/cursor.js';
import { Group } from './group.entity.js';

/** Which groups a page lists: the caller's (by conversation) or the public directory (by name). */
export type GroupFilter = { conversationIds: string[] } | { publicNameLike: string };

/** The SQL of groups (TypeORM's entity API, as everywhere in this module). */
@Injectable()
export class GroupsRepository {
  constructor(private readonly db: DataSource) {}

  findById(id: string): Promise<Group | null> {
    return this.db.getRepository(Group).findOneBy({ id });
  }

  /** The group a host system knows by `externalId`, locked until the transaction ends. */
  lockByExternalId(tx: EntityManager, externalId: string): Promise<Group | null> {
    return tx
      .getRepository(Group)
      .createQueryBuilder('g')
      .setLock('pessimistic_write')
      .where('g.external_id = :externalId', { externalId })
      .getOne();
  }

  /** Inserts or updates a group inside the caller's transaction. */
  save(tx: EntityManager, group: DeepPartial<Group>): Promise<Group> {
    const repo = tx.getRepository(Group);
    return repo.save(repo.create(group));
  }

  async update(group: Group): Promise<void> {
    await this.db.getRepository(Group).save(group);
  }

  async delete(tx: EntityManager, id: string): Promise<void> {
    await tx.getRepository(Group).delete({ id });
  }

  /** Up to `limit` groups by name, after the cursor `[nameKey, id]`. */
  page(filter: GroupFilter, limit: number, cursor?: string): Promise<Group[]> {
    let qb: SelectQueryBuilder<Group> = this.db.getRepository(Group).createQueryBuilder('g');
    qb =
      'conversationIds' in filter
        ? qb.where('g.conversation_id = ANY(:ids)', { ids: filter.conversationIds })
        : qb.where(`g.visibility = 'public' AND g.name_key LIKE :like`, { like: filter.publicNameLike });
    if (cursor) {
      const [name, id] = decodeCursor(cursor, ['text', 'uuid'] as const);
      qb.andWhere('(g.name_key, g.id) > (:name, :id)', { name, id });
    }
    return qb.orderBy('g.name_key', 'ASC').addOrderBy('g.id', 'ASC').limit(limit).getMany();
  }
}
