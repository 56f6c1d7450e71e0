import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { AppError } from '../common/errors/app-error.js';
import { isUniqueViolation } from '../database/pg-errors.js';
import { queryRows } from '../database/sql.js';
import { UsersService } from '../users/users.service.js';
import { Tenant, TenantMember, type TenantRole } from './tenant.entity.js';

export type QuotaKind = 'appPushes' | 'messages';

@Injectable()
export class TenantsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly users: UsersService,
  ) {}

  /** Creates a tenant with the caller as its owner. */
  async create(userId: string, name: string): Promise<Tenant & { role: TenantRole }> {
    return this.dataSource.transaction(async (tx) => {
      const tenant = await tx
        .getRepository(Tenant)
        .save(tx.getRepository(Tenant).create({ name: name.trim() }));
      await tx.getRepository(TenantMember).insert({ tenantId: tenant.id, userId, role: 'owner' });
      return { ...tenant, role: 'owner' as const };
    });
  }

  async listMine(userId: string): Promise<(Tenant & { role: TenantRole })[]> {
    const rows = await queryRows<{
      id: string;
      name: string;
      role: TenantRole;
      created_at: Date;
      app_pushes_per_day: number | null;
      messages_per_day: number | null;
    }>(
      this.dataSource,
      `SELECT t.*, m.role FROM tenant_members m JOIN tenants t ON t.id = m.tenant_id WHERE m.user_id = $1 ORDER BY t.created_at LIMIT 500`,
      [userId],
    );
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      role: r.role,
      createdAt: new Date(r.created_at),
      appPushesPerDay: r.app_pushes_per_day,
      messagesPerDay: r.messages_per_day,
    }));
  }

  /** Adds or re-roles a member. Admins add members; only the owner grants admin or owner. */
  async addMember(
    actorId: string,
    tenantId: string,
    userId: string,
    role: TenantRole,
  ): Promise<TenantMember> {
    const actorRole = await this.requireRole(actorId, tenantId, ['owner', 'admin']);
    if (role !== 'member' && actorRole !== 'owner')
      throw AppError.forbidden('Only the tenant owner grants admin or owner');
    if (!(await this.users.exists(userId))) throw AppError.notFound('User');
    const repo = this.dataSource.getRepository(TenantMember);
    const existing = await repo.findOneBy({ tenantId, userId });
    if (existing?.role === 'owner' && role !== 'owner')
      throw AppError.conflict('The owner’s role cannot be lowered here');
    try {
      await repo.upsert({ tenantId, userId, role }, ['tenantId', 'userId']);
    } catch (error) {
      if (isUniqueViolation(error)) throw AppError.conflict('Already a member');
      throw error;
    }
    return repo.findOneByOrFail({ tenantId, userId });
  }

  /** Makes the user a member (host provisioning); keeps a higher role they already have. */
  async ensureMember(tenantId: string, userId: string): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO tenant_members (tenant_id, user_id, role) VALUES ($1, $2, 'member') ON CONFLICT DO NOTHING`,
      [tenantId, userId],
    );
  }

  async roleOf(tenantId: string, userId: string): Promise<TenantRole | null> {
    const [row] = await queryRows<{ role: TenantRole }>(
      this.dataSource,
      'SELECT role FROM tenant_members WHERE tenant_id = $1 AND user_id = $2',
      [tenantId, userId],
    );
    return row?.role ?? null;
  }

  /**
   * The caller's role, which must be one of `allowed`. Non-members get NOT_FOUND (a tenant's
   * existence is not revealed); members without the role get FORBIDDEN.
   */
  async requireRole(userId: string, tenantId: string, allowed: readonly TenantRole[]): Promise<TenantRole> {
    const role = await this.roleOf(tenantId, userId);
    if (!role) throw AppError.notFound('Tenant');
    if (!allowed.includes(role)) throw AppError.forbidden(`Tenant ${allowed.join(' or ')} role required`);
    return role;
  }

  async requireTenant(tenantId: string): Promise<Tenant> {
    const tenant = await this.dataSource.getRepository(Tenant).findOneBy({ id: tenantId });
    if (!tenant) throw AppError.notFound('Tenant');
    return tenant;
  }

  /** Of the given users, those in the tenant. */
  async membersAmong(tenantId: string, userIds: string[]): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const rows = await queryRows<{ user_id: string }>(
      this.dataSource,
      'SELECT user_id FROM tenant_members WHERE tenant_id = $1 AND user_id = ANY($2::uuid[])',
      [tenantId, userIds],
    );
    return new Set(rows.map((r) => r.user_id));
  }

  /** Serialises changes to a tenant's tree (no two moves can build a cycle together). */
  async lock(tx: EntityManager, tenantId: string): Promise<void> {
    const rows = await queryRows(tx, 'SELECT id FROM tenants WHERE id = $1 FOR UPDATE', [tenantId]);
    if (rows.length === 0) throw AppError.notFound('Tenant');
  }

  /** Today's use of every tenant that used anything today. */
  async usageToday(): Promise<{ tenantId: string; name: string; appPushes: number; messages: number }[]> {
    const rows = await queryRows<{ tenant_id: string; name: string; app_pushes: number; messages: number }>(
      this.dataSource,
      `SELECT u.tenant_id, t.name, u.app_pushes, u.messages FROM tenant_usage u JOIN tenants t ON t.id = u.tenant_id
        WHERE u.day = (now() AT TIME ZONE 'utc')::date ORDER BY u.app_pushes DESC LIMIT 1000`,
    );
    return rows.map((r) => ({
      tenantId: r.tenant_id,
      name: r.name,
      appPushes: r.app_pushes,
      messages: r.messages,
    }));
  }

  async quota(tenantId: string): Promise<{
    appPushesPerDay: number | null;
    messagesPerDay: number | null;
    usedToday: { appPushes: number; messages: number };
  }> {
    const tenant = await this.requireTenant(tenantId);
    const [usage] = await queryRows<{ app_pushes: number; messages: number }>(
      this.dataSource,
      `SELECT app_pushes, messages FROM tenant_usage WHERE tenant_id = $1 AND day = (now() AT TIME ZONE 'utc')::date`,
      [tenantId],
    );
    return {
      appPushesPerDay: tenant.appPushesPerDay,
      messagesPerDay: tenant.messagesPerDay,
      usedToday: { appPushes: usage?.app_pushes ?? 0, messages: usage?.messages ?? 0 },
    };
  }

  async setQuota(
    tenantId: string,
    quota: { appPushesPerDay?: number | null; messagesPerDay?: number | null },
  ): Promise<void> {
    await this.requireTenant(tenantId);
    await this.dataSource.getRepository(Tenant).update({ id: tenantId }, quota);
  }

  /**
   * Takes `amount` from today's quota, or refuses (QUOTA_EXCEEDED) without taking anything. The
   * check and the increment are one statement, so concurrent callers cannot overshoot.
   */
  async consume(tenantId: string, kind: QuotaKind, amount: number): Promise<void> {
    if (amount <= 0) return;
    const column = kind === 'appPushes' ? 'app_pushes' : 'messages';
    const limitColumn = kind === 'appPushes' ? 'app_pushes_per_day' : 'messages_per_day';
    const rows = await queryRows<{ used: number }>(
      this.dataSource,
      `WITH t AS (SELECT ${limitColumn} AS quota FROM tenants WHERE id = $1)
       INSERT INTO tenant_usage AS u (tenant_id, day, ${column})
       SELECT $1, (now() AT TIME ZONE 'utc')::date, $2 FROM t WHERE t.quota IS NULL OR $2 <= t.quota
       ON CONFLICT (tenant_id, day) DO UPDATE SET ${column} = u.${column} + EXCLUDED.${column}
         WHERE (SELECT quota FROM t) IS NULL OR u.${column} + EXCLUDED.${column} <= (SELECT quota FROM t)
       RETURNING u.${column} AS used`,
      [tenantId, amount],
    );
    if (rows.length === 0) {
      const now = new Date();
      const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
      const retryAfter = Math.max(1, Math.ceil((midnight - now.getTime()) / 1000));
      throw new AppError(
        'QUOTA_EXCEEDED',
        `The tenant's daily ${kind === 'appPushes' ? 'app push' : 'message'} quota is used up`,
        { quota: kind, requested: amount, retryAfterSeconds: retryAfter },
        retryAfter,
      );
    }
  }

  /** Gives back what {@link consume} took when the work it paid for did not happen. */
  async refund(tenantId: string, kind: QuotaKind, amount: number): Promise<void> {
    if (amount <= 0) return;
    const column = kind === 'appPushes' ? 'app_pushes' : 'messages';
    await this.dataSource.query(
      `UPDATE tenant_usage SET ${column} = GREATEST(0, ${column} - $2) WHERE tenant_id = $1 AND day = (now() AT TIME ZONE 'utc')::date`,
      [tenantId, amount],
    );
  }
}
