import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager, In, IsNull } from 'typeorm';
import { decodeCursor } from '../common/pagination/cursor.js';
import { queryRows } from '../database/sql.js';
import { User } from './user.entity.js';

/** The SQL of users. */
@Injectable()
export class UsersRepository {
  constructor(private readonly db: DataSource) {}

  private get users() {
    return this.db.getRepository(User);
  }

  insert(
    user: Pick<User, 'username' | 'usernameKey' | 'displayName' | 'passwordHash' | 'role' | 'externalId'>,
  ) {
    return this.users.save(this.users.create(user));
  }

  save(user: User): Promise<User> {
    return this.users.save(user);
  }

  findById(id: string): Promise<User | null> {
    return this.users.findOneBy({ id });
  }

  findActive(id: string): Promise<User | null> {
    return this.users.findOne({ where: { id, deactivatedAt: IsNull() } });
  }

  findByUsernameKey(usernameKey: string): Promise<User | null> {
    return this.users.findOne({ where: { usernameKey } });
  }

  findByExternalId(externalId: string): Promise<User | null> {
    return this.users.findOne({ where: { externalId } });
  }

  findActiveByExternalIds(externalIds: string[]): Promise<User[]> {
    return this.users.find({ where: { externalId: In(externalIds), deactivatedAt: IsNull() } });
  }

  /** Users by id, deactivated ones included. */
  findMany(ids: string[]): Promise<User[]> {
    return this.users.find({ where: { id: In(ids) } });
  }

  existsActive(id: string): Promise<boolean> {
    return this.users.exists({ where: { id, deactivatedAt: IsNull() } });
  }

  countActive(): Promise<number> {
    return this.users.count({ where: { deactivatedAt: IsNull() } });
  }

  async update(
    id: string,
    patch: Partial<Pick<User, 'role' | 'passwordHash' | 'username' | 'usernameKey' | 'lastSeenAt'>>,
  ): Promise<void> {
    await this.users.update({ id }, patch);
  }

  /** Marks a user deactivated inside the caller's transaction; false when there was no active user. */
  async deactivate(tx: EntityManager, id: string): Promise<boolean> {
    const result = await tx
      .getRepository(User)
      .update({ id, deactivatedAt: IsNull() }, { deactivatedAt: new Date() });
    return (result.affected ?? 0) > 0;
  }

  /**
   * Inserts the user a host system knows as `externalId`, or refreshes its display name (and with
   * `reactivate`, clears its deactivation). Returns its id and whether it was inserted.
   */
  async upsertExternal(
    externalId: string,
    username: string,
    displayName: string,
    reactivate: boolean,
  ): Promise<{ id: string; inserted: boolean }> {
    const [row] = await queryRows<{ id: string; inserted: boolean }>(
      this.db,
      `INSERT INTO users (username, username_key, display_name, external_id) VALUES ($1, $2, $3, $4)
       ON CONFLICT (external_id) DO UPDATE SET
         display_name = EXCLUDED.display_name,
         deactivated_at = CASE WHEN $5 THEN NULL ELSE users.deactivated_at END,
         updated_at = now()
       RETURNING id, (xmax = 0) AS inserted`,
      [username, username.toLowerCase(), displayName, externalId, reactivate],
    );
    return row!;
  }

  /**
   * Up to `limit` active users whose username starts with, or display name contains, `term` (lower
   * case, LIKE wildcards escaped), ordered by username, after the cursor `[usernameKey]`.
   */
  search(term: string | undefined, limit: number, cursor?: string): Promise<User[]> {
    const qb = this.users.createQueryBuilder('u').where('u.deactivated_at IS NULL');
    if (term) {
      qb.andWhere('(u.username_key LIKE :prefix OR lower(u.display_name) LIKE :contains)', {
        prefix: `${term}%`,
        contains: `%${term}%`,
      });
    }
    if (cursor) {
      const [after] = decodeCursor(cursor, ['text'] as const);
      qb.andWhere('u.username_key > :after', { after });
    }
    return qb.orderBy('u.username_key', 'ASC').limit(limit).getMany();
  }
}
