import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { AppError } from '../common/errors/app-error.js';
import { type Page, rowCursor, toPage } from '../common/pagination/cursor.js';
import { nothingToRefund, type Refund } from '../common/refund.js';
import { isUniqueViolation } from '../database/pg-errors.js';
import { UsersService } from '../users/users.service.js';
import type { Tenant, TenantMember, TenantRole } from './tenant.entity.js';
import { type QuotaKind, TenantsRepository } from './tenants.repository.js';

@Injectable()
export class TenantsService {
  constructor(
    private readonly db: DataSource,
    private readonly tenants: TenantsRepository,
    private readonly users: UsersService,
  ) {}

  /** Creates a tenant with the caller as its owner. */
  async create(userId: string, name: string): Promise<Tenant & { role: TenantRole }> {
    const tenant = await this.db.transaction((tx) => this.tenants.insertWithOwner(tx, name.trim(), userId));
    return { ...tenant, role: 'owner' as const };
  }

  async listMine(
    userId: string,
    limit: number,
    cursor?: string,
  ): Promise<Page<Tenant & { role: TenantRole }>> {
    const rows = await this.tenants.tenantsOf(userId, limit + 1, cursor);
    return toPage(
      rows,
      limit,
      (t) => t,
      (t) => rowCursor(t.id),
    );
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
    const existing = await this.tenants.findMember(tenantId, userId);
    if (existing?.role === 'owner' && role !== 'owner')
      throw AppError.conflict('The owner’s role cannot be lowered here');
    try {
      await this.tenants.upsertMember(tenantId, userId, role);
    } catch (error) {
      if (isUniqueViolation(error)) throw AppError.conflict('Already a member');
      throw error;
    }
    return (await this.tenants.findMember(tenantId, userId))!;
  }

  /** Makes the user a member (host provisioning); keeps a higher role they already have. */
  ensureMember(tenantId: string, userId: string): Promise<void> {
    return this.tenants.ensureMember(tenantId, userId);
  }

  roleOf(tenantId: string, userId: string): Promise<TenantRole | null> {
    return this.tenants.roleOf(tenantId, userId);
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
    const tenant = await this.tenants.findById(tenantId);
    if (!tenant) throw AppError.notFound('Tenant');
    return tenant;
  }

  /** Of the given users, those in the tenant. */
  membersAmong(tenantId: string, userIds: string[]): Promise<Set<string>> {
    return this.tenants.membersAmong(tenantId, userIds);
  }

  /** Serialises changes to a tenant's tree (no two moves can build a cycle together). */
  async lock(tx: EntityManager, tenantId: string): Promise<void> {
    if (!(await this.tenants.lock(tx, tenantId))) throw AppError.notFound('Tenant');
  }

  /** Today's use of every tenant that used anything today. */
  usageToday(): Promise<{ tenantId: string; name: string; appPushes: number; messages: number }[]> {
    return this.tenants.usageToday();
  }

  async quota(tenantId: string): Promise<{
    appPushesPerDay: number | null;
    messagesPerDay: number | null;
    usedToday: { appPushes: number; messages: number };
  }> {
    const tenant = await this.requireTenant(tenantId);
    return {
      appPushesPerDay: tenant.appPushesPerDay,
      messagesPerDay: tenant.messagesPerDay,
      usedToday: await this.tenants.usageOf(tenantId),
    };
  }

  async setQuota(
    tenantId: string,
    quota: { appPushesPerDay?: number | null; messagesPerDay?: number | null },
  ): Promise<void> {
    await this.requireTenant(tenantId);
    await this.tenants.setQuota(tenantId, quota);
  }

  /**
   * Takes `amount` from today's quota, or refuses (QUOTA_EXCEEDED) without taking anything. The
   * check and the increment are one statement, so concurrent callers cannot overshoot.
   */
  async consume(tenantId: string, kind: QuotaKind, amount: number): Promise<Refund> {
    if (amount <= 0) return nothingToRefund;
    if (!(await this.tenants.consume(tenantId, kind, amount))) {
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
    return () => this.refund(tenantId, kind, amount);
  }

  /** Gives back what {@link consume} took when the work it paid for did not happen (its refund). */
  private async refund(tenantId: string, kind: QuotaKind, amount: number): Promise<void> {
    if (amount <= 0) return;
    await this.tenants.refund(tenantId, kind, amount);
  }
}
