import 'reflect-metadata';
import type { ModuleMetadata, Type } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import { Server } from 'socket.io';
import { DataSource } from 'typeorm';
import { foundationModules } from '../../src/foundation.js';
import { PinoLoggerService } from '../../src/common/logging.js';
import { AppConfig } from '../../src/common/config/app-config.js';
import { queryRows } from '../../src/database/sql.js';
import { pairKeyOf } from '../../src/messaging/keyed-conversations.repository.js';
import type { MemberRole } from '../../src/messaging/conversation-member.entity.js';
import { SocketEmitter } from '../../src/realtime/socket-emitter.js';
import { baseEnv, type Env } from './app.js';
import { uniqueName } from './factories.js';

/**
 * Time for a file's `beforeAll` to start its database (on PGlite: start and migrate it) and build
 * the modules, on a machine busy with other test files.
 */
export const MEDIUM_SETUP_MS = 120_000;

export interface MediumOptions {
  /** The modules under test (with what they import themselves). */
  imports: NonNullable<ModuleMetadata['imports']>;
  /** Environment on top of the test app's (`baseEnv`). */
  env?: Env;
  /** Providers replaced by a value (a consumer the test does not want running, say). */
  overrides?: { provide: Type | string | symbol; useValue: unknown }[];
}

export interface NewGroup {
  groupId: string;
  conversationId: string;
}

/**
 * One or a few modules built with `@nestjs/testing` against the test file's own database, with the
 * global providers every module expects (config, lifecycle, logging, events, Redis or its local
 * stand-in, storage, rate limits, the data source, the socket emitter and router); no HTTP server,
 * no sockets connected. Data is made with the factories below: rows written straight into the tables, as the
 * owning modules would leave them, without the services (or their events) under test.
 */
export class MediumContext {
  private constructor(
    readonly module: TestingModule,
    readonly config: AppConfig,
    readonly db: DataSource,
  ) {}

  static async create(options: MediumOptions): Promise<MediumContext> {
    const config = AppConfig.load({ ...(await baseEnv()), ...options.env });
    let builder = Test.createTestingModule({
      imports: [...foundationModules(config, false), ...options.imports],
    });
    for (const { provide, useValue } of options.overrides ?? [])
      builder = builder.overrideProvider(provide).useValue(useValue);
    const module = await builder.compile();
    module.useLogger(module.get(PinoLoggerService));
    // A Socket.IO server with no transport: what the modules emit and the rooms they move reach nobody.
    Object.assign(module.get(SocketEmitter), { server: new Server() });
    await module.init();
    return new MediumContext(module, config, module.get(DataSource));
  }

  /** A provider of any module built, exported or not. */
  get<T>(token: Type<T>): T {
    return this.module.get(token, { strict: false });
  }

  /** Closes the modules (the database stays until `releaseTestDatabase`). */
  async close(): Promise<void> {
    await this.module.close();
  }

  /** Runs SQL on the modules' own pool (PGlite is a single session: no second connection). */
  sql<T extends object>(text: string, params: unknown[] = []): Promise<T[]> {
    return queryRows<T>(this.db, text, params);
  }

  async newUser(opts: { displayName?: string; username?: string } = {}): Promise<string> {
    const username = opts.username ?? uniqueName();
    const [row] = await this.sql<{ id: string }>(
      `INSERT INTO users (username, username_key, display_name) VALUES ($1, $2, $3) RETURNING id`,
      [username, username.toLowerCase(), opts.displayName ?? username],
    );
    return row!.id;
  }

  /** A signed-in device of the user (state `active` unless said otherwise), valid for a day. */
  async newSession(userId: string, state: 'active' | 'inactive' = 'active'): Promise<string> {
    const [row] = await this.sql<{ id: string }>(
      `INSERT INTO sessions (user_id, state, expires_at) VALUES ($1, $2, now() + interval '1 day') RETURNING id`,
      [userId, state],
    );
    return row!.id;
  }

  /** Friends both ways (friendships are stored one row per direction). */
  async newFriendship(a: string, b: string): Promise<void> {
    await this.sql('INSERT INTO friendships (user_id, friend_id) VALUES ($1, $2), ($2, $1)', [a, b]);
  }

  /** `blockerId` blocks `blockedId`. */
  async newBlock(blockerId: string, blockedId: string): Promise<void> {
    await this.sql('INSERT INTO blocks (blocker_id, blocked_id) VALUES ($1, $2)', [blockerId, blockedId]);
  }

  /** The direct conversation of two users, both members. */
  async newDirect(a: string, b: string): Promise<string> {
    const [row] = await this.sql<{ id: string }>(
      `INSERT INTO conversations (type, pair_key, member_count) VALUES ('direct', $1, 2) RETURNING id`,
      [pairKeyOf(a, b)],
    );
    await this.addMembers(row!.id, [
      { userId: a, role: 'member' },
      { userId: b, role: 'member' },
    ]);
    return row!.id;
  }

  /** A group and its conversation: the owner, `admins` as admins, the other `memberIds` as members. */
  async newGroup(
    ownerId: string,
    memberIds: string[],
    opts: {
      name?: string;
      admins?: string[];
      visibility?: 'private' | 'public';
      membersCanInvite?: boolean;
      maxMembers?: number;
      tenantId?: string;
    } = {},
  ): Promise<NewGroup> {
    const groupId = randomUUID();
    const name = opts.name ?? uniqueName('group');
    const admins = new Set(opts.admins ?? []);
    const members = [...new Set([...admins, ...memberIds])].filter((id) => id !== ownerId);
    const [conversation] = await this.sql<{ id: string }>(
      `INSERT INTO conversations (type, title, group_id, member_count) VALUES ('group', $1, $2, $3) RETURNING id`,
      [name, groupId, members.length + 1],
    );
    const conversationId = conversation!.id;
    await this.sql(
      `INSERT INTO groups (id, name, name_key, visibility, members_can_invite, max_members, tenant_id, conversation_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        groupId,
        name,
        name.toLowerCase(),
        opts.visibility ?? 'private',
        opts.membersCanInvite ?? false,
        opts.maxMembers ?? 500,
        opts.tenantId ?? null,
        conversationId,
      ],
    );
    await this.addMembers(conversationId, [
      { userId: ownerId, role: 'owner' },
      ...members.map((userId) => ({
        userId,
        role: admins.has(userId) ? ('admin' as const) : ('member' as const),
      })),
    ]);
    return { groupId, conversationId };
  }

  /** A tenant owned by `ownerId` and an application of it. */
  async newApp(ownerId: string, name = 'App'): Promise<string> {
    const [tenant] = await this.sql<{ id: string }>(`INSERT INTO tenants (name) VALUES ($1) RETURNING id`, [
      uniqueName('tenant'),
    ]);
    await this.sql(`INSERT INTO tenant_members (tenant_id, user_id, role) VALUES ($1, $2, 'owner')`, [
      tenant!.id,
      ownerId,
    ]);
    const [app] = await this.sql<{ id: string }>(
      `INSERT INTO apps (tenant_id, name, key_hash) VALUES ($1, $2, $3) RETURNING id`,
      [tenant!.id, name, randomUUID().replace(/-/g, '').padEnd(64, '0')],
    );
    return app!.id;
  }

  /** An application's channel to one user (titled with the app's name), the user its only member. */
  async newAppChannel(appId: string, userId: string): Promise<string> {
    const [row] = await this.sql<{ id: string }>(
      `INSERT INTO conversations (type, title, app_id, pair_key, member_count)
       SELECT 'app', name, id, 'app:' || id || ':' || $2, 1 FROM apps WHERE id = $1 RETURNING id`,
      [appId, userId],
    );
    await this.addMembers(row!.id, [{ userId, role: 'member' }]);
    return row!.id;
  }

  /**
   * A message, as the store appends one: the conversation's next seq (taken in the same statement,
   * so seqs stay gapless), and the sender's read and delivered watermarks moved to it. `senderId`
   * null with `appId`: an application's post.
   */
  async newMessage(
    conversationId: string,
    senderId: string | null,
    body: string,
    opts: { appId?: string } = {},
  ): Promise<{ id: string; seq: number }> {
    const [row] = await this.sql<{ id: string; seq: number }>(
      `WITH c AS (
         UPDATE conversations SET last_seq = last_seq + 1, last_activity_at = now() WHERE id = $1 RETURNING last_seq
       ), m AS (
         INSERT INTO messages (conversation_id, seq, sender_id, app_id, body)
         SELECT $1, last_seq, $2, $3, $4 FROM c RETURNING id, seq
       ), w AS (
         UPDATE conversation_members SET read_seq = GREATEST(read_seq, m.seq), delivered_seq = GREATEST(delivered_seq, m.seq)
           FROM m WHERE conversation_id = $1 AND user_id = $2
       )
       SELECT id, seq::float8 AS seq FROM m`,
      [conversationId, senderId, opts.appId ?? null, body],
    );
    if (!row) throw new Error(`no conversation ${conversationId}`);
    return row;
  }

  private async addMembers(
    conversationId: string,
    members: { userId: string; role: MemberRole }[],
  ): Promise<void> {
    await this.sql(
      `INSERT INTO conversation_members (conversation_id, user_id, role)
       SELECT $1, unnest($2::uuid[]), unnest($3::varchar[])`,
      [conversationId, members.map((m) => m.userId), members.map((m) => m.role)],
    );
  }
}

/** Builds the modules against the test file's database; `ctx.close()` and `releaseTestDatabase()` after. */
export function mediumContext(options: MediumOptions): Promise<MediumContext> {
  return MediumContext.create(options);
}
