import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, IsNull, Repository } from 'typeorm';
import { AppError } from '../common/errors/app-error.js';
import { decodeCursor, DEFAULT_PAGE_SIZE, encodeCursor, type Page, toPage } from '../common/pagination/cursor.js';
import { isUniqueViolation } from '../database/pg-errors.js';
import { User, type UserRole } from './user.entity.js';

export interface NewUser {
  username: string;
  /** argon2id hash, made by the auth module; absent for users of a host system. */
  passwordHash?: string;
  displayName?: string;
  role?: UserRole;
  externalId?: string;
}

@Injectable()
export class UsersService {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  /** Inserts a user; a taken username (in any letter case) is CONFLICT. */
  async create(input: NewUser): Promise<User> {
    try {
      return await this.users.save(
        this.users.create({
          username: input.username,
          usernameKey: input.username.toLowerCase(),
          displayName: input.displayName?.trim() || input.username,
          passwordHash: input.passwordHash ?? null,
          role: input.role ?? 'user',
          externalId: input.externalId ?? null,
        }),
      );
    } catch (error) {
      if (isUniqueViolation(error)) throw AppError.conflict('Username is already taken');
      throw error;
    }
  }

  findByUsername(username: string): Promise<User | null> {
    return this.users.findOne({ where: { usernameKey: username.toLowerCase() } });
  }

  /** An active (not deactivated) user, or NOT_FOUND. */
  async get(id: string): Promise<User> {
    const user = await this.users.findOne({ where: { id, deactivatedAt: IsNull() } });
    if (!user) throw AppError.notFound('User');
    return user;
  }

  /** Users by id (deactivated ones included, so old conversations keep their names). */
  findMany(ids: string[]): Promise<User[]> {
    return ids.length === 0 ? Promise.resolve([]) : this.users.find({ where: { id: In([...new Set(ids)]) } });
  }

  async exists(id: string): Promise<boolean> {
    return this.users.exists({ where: { id, deactivatedAt: IsNull() } });
  }

  async setRoleAndPassword(id: string, patch: { role?: UserRole; passwordHash?: string }): Promise<void> {
    if (Object.keys(patch).length > 0) await this.users.update({ id }, patch);
  }

  async updateProfile(id: string, patch: { displayName?: string }): Promise<User> {
    const user = await this.get(id);
    if (patch.displayName !== undefined) user.displayName = patch.displayName.trim() || user.username;
    return this.users.save(user);
  }

  /** Users whose username starts with, or display name contains, `search`; ordered by username. */
  async search(search: string | undefined, limit = DEFAULT_PAGE_SIZE, cursor?: string): Promise<Page<User>> {
    const qb = this.users.createQueryBuilder('u').where('u.deactivated_at IS NULL');
    const term = search?.trim().toLowerCase();
    if (term) {
      const like = term.replace(/[\\%_]/g, (c) => `\\${c}`);
      qb.andWhere('(u.username_key LIKE :prefix OR lower(u.display_name) LIKE :contains)', {
        prefix: `${like}%`,
        contains: `%${like}%`,
      });
    }
    if (cursor) {
      const [after] = decodeCursor(cursor, ['string'] as const);
      qb.andWhere('u.username_key > :after', { after });
    }
    const rows = await qb.orderBy('u.username_key', 'ASC').limit(limit + 1).getMany();
    return toPage(rows, limit, (u) => u, (u) => encodeCursor([u.usernameKey]));
  }

  /** Records that the user was last seen now (their last socket went away). */
  async touchLastSeen(id: string): Promise<Date> {
    const at = new Date();
    await this.users.update({ id }, { lastSeenAt: at });
    return at;
  }

  count(): Promise<number> {
    return this.users.count({ where: { deactivatedAt: IsNull() } });
  }
}
