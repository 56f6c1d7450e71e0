import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AppError } from '../common/errors/app-error.js';
import { DEFAULT_PAGE_SIZE, encodeCursor, type Page, toPage } from '../common/pagination/cursor.js';
import { isUniqueViolation } from '../database/pg-errors.js';
import { escapeLike } from '../database/sql.js';
import { createHash } from 'node:crypto';
import type { User, UserRole } from './user.entity.js';
import { UsersRepository } from './users.repository.js';

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
  constructor(private readonly users: UsersRepository) {}

  /** Inserts a user; a taken username (in any letter case) is CONFLICT. */
  async create(input: NewUser): Promise<User> {
    try {
      return await this.users.insert({
        username: input.username,
        usernameKey: input.username.toLowerCase(),
        displayName: input.displayName?.trim() || input.username,
        passwordHash: input.passwordHash ?? null,
        role: input.role ?? 'user',
        externalId: input.externalId ?? null,
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw AppError.conflict('Username is already taken');
      throw error;
    }
  }

  findByUsername(username: string): Promise<User | null> {
    return this.users.findByUsernameKey(username.toLowerCase());
  }

  /** An active (not deactivated) user, or NOT_FOUND. */
  async get(id: string): Promise<User> {
    const user = await this.users.findActive(id);
    if (!user) throw AppError.notFound('User');
    return user;
  }

  /**
   * The user a host system knows as `externalId`, created on first sight and kept in step with the
   * host's profile. A username already taken by someone else gets a stable suffix. `reactivate`
   * (service provisioning) brings a deactivated user back; sign-ins never do.
   */
  async upsertExternal(
    externalId: string,
    profile: { username: string; displayName?: string },
    reactivate = false,
  ): Promise<{ user: User; created: boolean }> {
    const base = sanitizeUsername(profile.username, externalId);
    const candidates = [base, `${base.slice(0, 25)}_${shortHash(externalId)}`];
    for (const username of candidates) {
      try {
        const row = await this.users.upsertExternal(
          externalId,
          username,
          (profile.displayName?.trim() || username).slice(0, 64),
          reactivate,
        );
        const user = (await this.users.findById(row.id))!;
        if (!row.inserted && user.username !== base) {
          // The host renamed the user: follow when the new name is free (otherwise keep the old one).
          await this.users.update(user.id, { username: base, usernameKey: base.toLowerCase() }).then(
            () => Object.assign(user, { username: base, usernameKey: base.toLowerCase() }),
            (error: unknown) => {
              if (!isUniqueViolation(error)) throw error;
            },
          );
        }
        return { user, created: row.inserted };
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
      }
    }
    throw AppError.conflict('Could not find a free username for this user');
  }

  async findByExternalId(externalId: string): Promise<User | null> {
    return this.users.findByExternalId(externalId);
  }

  /** Active users by external id: externalId → user id. */
  async findManyByExternalId(externalIds: string[]): Promise<Map<string, string>> {
    if (externalIds.length === 0) return new Map();
    const users = await this.users.findActiveByExternalIds(externalIds);
    return new Map(users.map((u) => [u.externalId!, u.id]));
  }

  /** Marks a user deactivated inside the caller's transaction; false when there was no active user. */
  deactivate(tx: EntityManager, id: string): Promise<boolean> {
    return this.users.deactivate(tx, id);
  }

  /** Users by id (deactivated ones included, so old conversations keep their names). */
  findMany(ids: string[]): Promise<User[]> {
    return ids.length === 0 ? Promise.resolve([]) : this.users.findMany([...new Set(ids)]);
  }

  async exists(id: string): Promise<boolean> {
    return this.users.existsActive(id);
  }

  async setRoleAndPassword(id: string, patch: { role?: UserRole; passwordHash?: string }): Promise<void> {
    if (Object.keys(patch).length > 0) await this.users.update(id, patch);
  }

  async updateProfile(id: string, patch: { displayName?: string }): Promise<User> {
    const user = await this.get(id);
    if (patch.displayName !== undefined) user.displayName = patch.displayName.trim() || user.username;
    return this.users.save(user);
  }

  /** Users whose username starts with, or display name contains, `search`; ordered by username. */
  async search(search: string | undefined, limit = DEFAULT_PAGE_SIZE, cursor?: string): Promise<Page<User>> {
    const term = search?.trim().toLowerCase();
    const rows = await this.users.search(term ? escapeLike(term) : undefined, limit + 1, cursor);
    return toPage(
      rows,
      limit,
      (u) => u,
      (u) => encodeCursor([u.usernameKey]),
    );
  }

  /** Records that the user was last seen now (their last socket went away). */
  async touchLastSeen(id: string): Promise<Date> {
    const at = new Date();
    await this.users.update(id, { lastSeenAt: at });
    return at;
  }

  count(): Promise<number> {
    return this.users.countActive();
  }
}

/** A host's name for a user, made into a valid Relay username (3-32 of A-Z a-z 0-9 _ . -). */
function sanitizeUsername(raw: string, externalId: string): string {
  const local = raw.includes('@') ? raw.slice(0, raw.indexOf('@')) : raw;
  const clean = local.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 32);
  return clean.length >= 3 ? clean : `user_${shortHash(externalId)}`;
}

const shortHash = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 6);
