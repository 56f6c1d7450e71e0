import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { afterRow } from '../common/pagination/cursor.js';
import { queryRows } from '../database/sql.js';
import { Tenant, TenantMember, type TenantRole } from './tenant.entity.js';

export type QuotaKind = 'appPushes' | 'messages';

const USAGE_COLUMN: Record<QuotaKind, string> = { appPushes: 'app_pushes', messages: 'messages' };
const LIMIT_COLUMN: Record<QuotaKind, string> = {
  appPushes: 'app_pushes_per_day',
  messages: 'messages_per_day',
};
const TODAY = `(now() AT TIME ZONE 'utc')::date`;

/** The SQL of tenants, their members and their daily usage. */
@Injectable()
export class TenantsRepository {
  constructor(private readonly db: DataSource) {}

  /** Creates a tenant with its owner, inside the caller's transaction. */
  async insertWithOwner(tx: EntityManager, name: string, ownerId: string): Promise<Tenant> {
    const tenant = await tx.getRepository(Tenant).save(tx.getRepository(Tenant).create({ name }));
    await tx.getRepository(TenantMember).insert({ tenantId: tenant.id, userId: ownerId, role: 'owner' });
    return tenant;
  }

  findById(id: string): Promise<Tenant | null> {
    return this.db.getRepository(Tenant).findOneBy({ id });
  }

  async setQuota(id: string, quota: { appPushesPerDay?: number | null; messagesPerDay?: number | null }) {
    await this.db.getRepository(Tenant).update({ id }, quota);
  }

  /** The user's tenants with their role, oldest first (at most 500). */
  /** The user's tenants, oldest first, after the row the cursor names. */
  async tenantsOf(
    userId: string,
    limit: number,
    cursor?: string,
  ): Promise<(Tenant & { role: TenantRole })[]> {
    const params: unknown[] = [userId, limit];
    let after = '';
    if (cursor) {
      const keyset = afterRow(cursor, 'tenants', 't', '$3');
      params.push(keyset.id);
      after = keyset.sql;
    }
    const rows = await queryRows<{
      id: string;
      name: string;
      role: TenantRole;
      created_at: Date;
      app_pushes_per_day: number | null;
      messages_per_day: number | null;
    }>(
      this.db,
      `SELECT t.*, m.role FROM tenant_members m JOIN tenants t ON t.id = m.tenant_id
        WHERE m.user_id = $1 ${after} ORDER BY t.created_at, t.id LIMIT $2`,
      params,
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

  findMember(tenantId: string, userId: string): Promise<TenantMember | null> {
    return this.db.getRepository(TenantMember).findOneBy({ tenantId, userId });
  }

  async upsertMember(tenantId: string, userId: string, role: TenantRole): Promise<void> {
    await this.db.getRepository(TenantMember).upsert({ tenantId, userId, role }, ['tenantId', 'userId']);
  }

  /** Makes the user a member, keeping any role they already have. */
  async ensureMember(tenantId: string, userId: string): Promise<void> {
    await this.db.query(
      `INSERT INTO tenant_members (tenant_id, user_id, role) VALUES ($1, $2, 'member') ON CONFLICT DO NOTHING`,
      [tenantId, userId],
    );
  }

  async roleOf(tenantId: string, userId: string): Promise<TenantRole | null> {
    const [row] = await queryRows<{ role: TenantRole }>(
      this.db,
      'SELECT role FROM tenant_members WHERE tenant_id = $1 AND user_id = $2',
      [tenantId, userId],
    );
    return row?.role ?? null;
  }

  /** Of the given users, those in the tenant. */
  async membersAmong(tenantId: string, userIds: string[]): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const rows = await queryRows<{ user_id: string }>(
      this.db,
      'SELECT user_id FROM tenant_members WHERE tenant_id = $1 AND user_id = ANY($2::uuid[])',
      [tenantId, userIds],
    );
    return new Set(rows.map((r) => r.user_id));
  }

  /** Locks the tenant row until the transaction ends; false when there is no such tenant. */
  async lock(tx: EntityManager, tenantId: string): Promise<boolean> {
    const rows = await queryRows(tx, 'SELECT id FROM tenants WHERE id = $1 FOR UPDATE', [tenantId]);
    return rows.length > 0;
  }

  /** Today's use of every tenant that used anything today. */
  async usageToday(): Promise<{ tenantId: string; name: string; appPushes: number; messages: number }[]> {
    const rows = await queryRows<{ tenant_id: string; name: string; app_pushes: number; messages: number }>(
      this.db,
      `SELECT u.tenant_id, t.name, u.app_pushes, u.messages FROM tenant_usage u JOIN tenants t ON t.id = u.tenant_id
        WHERE u.day = ${TODAY} ORDER BY u.app_pushes DESC LIMIT 1000`,
    );
    return rows.map((r) => ({
      tenantId: r.tenant_id,
      name: r.name,
      appPushes: r.app_pushes,
      messages: r.messages,
    }));
  }

  /** One tenant's use today. */
  async usageOf(tenantId: string): Promise<{ appPushes: number; messages: number }> {
    const [usage] = await queryRows<{ app_pushes: number; messages: number }>(
      this.db,
      `SELECT app_pushes, messages FROM tenant_usage WHERE tenant_id = $1 AND day = ${TODAY}`,
      [tenantId],
    );
    return { appPushes: usage?.app_pushes ?? 0, messages: usage?.messages ?? 0 };
  }

  /**
   * Adds `amount` to today's use when it stays within the quota; false (nothing taken) otherwise.
   * The check and the increment are one statement, so concurrent callers cannot overshoot.
   */
  async consume(tenantId: string, kind: QuotaKind, amount: number): Promise<boolean> {
    const column = USAGE_COLUMN[kind];
    const rows = await queryRows<{ used: number }>(
      this.db,
      `WITH t AS (SELECT ${LIMIT_COLUMN[kind]} AS quota FROM tenants WHERE id = $1)
       INSERT INTO tenant_usage AS u (tenant_id, day, ${column})
       SELECT $1, ${TODAY}, $2 FROM t WHERE t.quota IS NULL OR $2 <= t.quota
       ON CONFLICT (tenant_id, day) DO UPDATE SET ${column} = u.${column} + EXCLUDED.${column}
         WHERE (SELECT quota FROM t) IS NULL OR u.${column} + EXCLUDED.${column} <= (SELECT quota FROM t)
       RETURNING u.${column} AS used`,
      [tenantId, amount],
    );
    return rows.length > 0;
  }

  /** Gives back today's use that {@link consume} took. */
  async refund(tenantId: string, kind: QuotaKind, amount: number): Promise<void> {
    const column = USAGE_COLUMN[kind];
    await this.db.query(
      `UPDATE tenant_usage SET ${column} = GREATEST(0, ${column} - $2) WHERE tenant_id = $1 AND day = ${TODAY}`,
      [tenantId, amount],
    );
  }
}
