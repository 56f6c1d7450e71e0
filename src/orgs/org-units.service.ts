import { randomUUID } from 'node:crypto';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { AppError } from '../common/errors/app-error.js';
import { queryRows } from '../database/sql.js';
import { ConversationAccess } from '../messaging/conversation-access.service.js';
import type { ConversationRef } from '../messaging/conversations.repository.js';
import { ConversationsService, type MembershipChange } from '../messaging/conversations.service.js';
import { OrgUnit, OrgUnitMember } from './org-unit.entity.js';
import { TenantsService } from './tenants.service.js';

export interface OrgUnitNode {
  id: string;
  name: string;
  parentId: string | null;
  conversationId: string;
  memberCount: number;
  children: OrgUnitNode[];
}

const POSTERS = ['owner', 'admin'] as const;

/**
 * The org-unit tree of each tenant and its announcement conversations: a unit's conversation has
 * as members everyone in the unit or any unit below it; only tenant owners and admins post.
 */
@Injectable()
export class OrgUnitsService implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tenants: TenantsService,
    private readonly conversations: ConversationsService,
    private readonly access: ConversationAccess,
  ) {}

  onModuleInit(): void {
    this.access.registerPolicy('org', {
      resolve: async (userId, unitId) => {
        const unit = await this.unitFor(userId, unitId);
        await this.checkPoster(userId, unit.tenantId);
        return (await this.access.ref(unit.conversationId))!;
      },
      canPost: async (userId, conversation: ConversationRef) => {
        const unit = await this.dataSource.getRepository(OrgUnit).findOneBy({ id: conversation.orgUnitId! });
        if (!unit || !(await this.tenants.roleOf(unit.tenantId, userId)))
          throw AppError.notFound('Conversation');
        await this.checkPoster(userId, unit.tenantId);
      },
    });
  }

  async create(actorId: string, tenantId: string, name: string, parentId?: string): Promise<OrgUnit> {
    await this.tenants.requireRole(actorId, tenantId, POSTERS);
    return this.dataSource.transaction(async (tx) => {
      await this.tenants.lock(tx, tenantId);
      if (parentId) await this.unitInTenant(tx, parentId, tenantId);
      const unitId = randomUUID();
      const conversation = await this.conversations.create(
        tx,
        { type: 'org', title: name.trim(), orgUnitId: unitId },
        [],
      );
      const repo = tx.getRepository(OrgUnit);
      return repo.save(
        repo.create({
          id: unitId,
          tenantId,
          parentId: parentId ?? null,
          name: name.trim(),
          conversationId: conversation.id,
        }),
      );
    });
  }

  /** The tenant's units as a tree (tenant members only). */
  async tree(actorId: string, tenantId: string): Promise<OrgUnitNode[]> {
    await this.tenants.requireRole(actorId, tenantId, ['owner', 'admin', 'member']);
    const rows = await queryRows<{
      id: string;
      name: string;
      parent_id: string | null;
      conversation_id: string;
      members: number;
    }>(
      this.dataSource,
      `SELECT u.id, u.name, u.parent_id, u.conversation_id, count(m.user_id)::int AS members
         FROM org_units u LEFT JOIN org_unit_members m ON m.unit_id = u.id
        WHERE u.tenant_id = $1 GROUP BY u.id ORDER BY u.created_at, u.id`,
      [tenantId],
    );
    const nodes = new Map<string, OrgUnitNode>(
      rows.map((r) => [
        r.id,
        {
          id: r.id,
          name: r.name,
          parentId: r.parent_id,
          conversationId: r.conversation_id,
          memberCount: r.members,
          children: [],
        },
      ]),
    );
    const roots: OrgUnitNode[] = [];
    for (const node of nodes.values()) {
      const parent = node.parentId ? nodes.get(node.parentId) : undefined;
      (parent ? parent.children : roots).push(node);
    }
    return roots;
  }

  /** Renames and/or moves a unit; a move under the unit itself or one of its descendants is refused. */
  async update(
    actorId: string,
    unitId: string,
    patch: { name?: string; parentId?: string | null },
  ): Promise<OrgUnit> {
    const unit = await this.unitFor(actorId, unitId);
    await this.tenants.requireRole(actorId, unit.tenantId, POSTERS);
    const changed = await this.dataSource.transaction(async (tx) => {
      await this.tenants.lock(tx, unit.tenantId);
      const repo = tx.getRepository(OrgUnit);
      const current = await repo.findOneByOrFail({ id: unitId });
      if (patch.name !== undefined) current.name = patch.name.trim();
      let moved = false;
      if (patch.parentId !== undefined && patch.parentId !== current.parentId) {
        if (patch.parentId !== null) {
          await this.unitInTenant(tx, patch.parentId, unit.tenantId);
          const below = await this.subtreeIds(tx, unitId);
          if (below.includes(patch.parentId)) {
            throw AppError.conflict('A unit cannot move under itself or one of its descendants');
          }
        }
        current.parentId = patch.parentId;
        moved = true;
      }
      await repo.save(current);
      const announce = moved ? await this.syncConversations(tx, unit.tenantId) : [];
      return { unit: current, announce };
    });
    this.conversations.announce(...changed.announce);
    return changed.unit;
  }

  async addMembers(actorId: string, unitId: string, userIds: string[]): Promise<string[]> {
    const unit = await this.unitFor(actorId, unitId);
    await this.tenants.requireRole(actorId, unit.tenantId, POSTERS);
    const unique = [...new Set(userIds)];
    const inTenant = await this.tenants.membersAmong(unit.tenantId, unique);
    const outside = unique.filter((id) => !inTenant.has(id));
    if (outside.length > 0) {
      throw AppError.validation('Only members of the tenant can join its units', {
        fields: [{ field: 'userIds', problems: outside.map((id) => `${id} is not a tenant member`) }],
      });
    }
    const result = await this.dataSource.transaction(async (tx) => {
      await this.tenants.lock(tx, unit.tenantId);
      const added = await queryRows<{ user_id: string }>(
        tx,
        'INSERT INTO org_unit_members (unit_id, user_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING RETURNING user_id',
        [unitId, unique],
      );
      return {
        added: added.map((r) => r.user_id),
        announce: await this.syncConversations(tx, unit.tenantId),
      };
    });
    this.conversations.announce(...result.announce);
    return result.added;
  }

  async removeMember(actorId: string, unitId: string, userId: string): Promise<void> {
    const unit = await this.unitFor(actorId, unitId);
    await this.tenants.requireRole(actorId, unit.tenantId, POSTERS);
    const announce = await this.dataSource.transaction(async (tx) => {
      await this.tenants.lock(tx, unit.tenantId);
      const result = await tx.getRepository(OrgUnitMember).delete({ unitId, userId });
      if (!result.affected) throw AppError.notFound('Unit member');
      return this.syncConversations(tx, unit.tenantId);
    });
    this.conversations.announce(...announce);
  }

  /** Members of the unit, or (recursive) of the unit and every unit below it. */
  async members(
    actorId: string,
    unitId: string,
    recursive: boolean,
  ): Promise<{ userId: string; unitId: string }[]> {
    const unit = await this.unitFor(actorId, unitId);
    await this.tenants.requireRole(actorId, unit.tenantId, ['owner', 'admin', 'member']);
    const units = recursive ? await this.subtreeIds(this.dataSource.manager, unitId) : [unitId];
    const rows = await queryRows<{ user_id: string; unit_id: string }>(
      this.dataSource,
      `SELECT DISTINCT ON (user_id) user_id, unit_id FROM org_unit_members WHERE unit_id = ANY($1::uuid[]) ORDER BY user_id, unit_id`,
      [units],
    );
    return rows.map((r) => ({ userId: r.user_id, unitId: r.unit_id }));
  }

  /** Users in the unit's subtree (for application pushes). */
  async subtreeMemberIds(tenantId: string, unitId: string): Promise<string[]> {
    const unit = await this.dataSource.getRepository(OrgUnit).findOneBy({ id: unitId, tenantId });
    if (!unit) throw AppError.notFound('Org unit');
    const units = await this.subtreeIds(this.dataSource.manager, unitId);
    const rows = await queryRows<{ user_id: string }>(
      this.dataSource,
      'SELECT DISTINCT user_id FROM org_unit_members WHERE unit_id = ANY($1::uuid[])',
      [units],
    );
    return rows.map((r) => r.user_id);
  }

  /** A unit the caller can see (member of its tenant); NOT_FOUND otherwise. */
  private async unitFor(userId: string, unitId: string): Promise<OrgUnit> {
    const unit = await this.dataSource.getRepository(OrgUnit).findOneBy({ id: unitId });
    if (!unit || !(await this.tenants.roleOf(unit.tenantId, userId))) throw AppError.notFound('Org unit');
    return unit;
  }

  private async unitInTenant(tx: EntityManager, unitId: string, tenantId: string): Promise<void> {
    const unit = await tx.getRepository(OrgUnit).findOneBy({ id: unitId, tenantId });
    if (!unit) throw AppError.notFound('Parent unit');
  }

  private async checkPoster(userId: string, tenantId: string): Promise<void> {
    await this.tenants.requireRole(userId, tenantId, POSTERS);
    await this.tenants.consume(tenantId, 'messages', 1);
  }

  private async subtreeIds(tx: EntityManager, unitId: string): Promise<string[]> {
    const rows = await queryRows<{ id: string }>(
      tx,
      `WITH RECURSIVE sub AS (
         SELECT id FROM org_units WHERE id = $1
         UNION
         SELECT u.id FROM org_units u JOIN sub ON u.parent_id = sub.id
       ) SELECT id FROM sub`,
      [unitId],
    );
    return rows.map((r) => r.id);
  }

  /**
   * Makes every unit conversation of the tenant hold exactly the users of the unit's subtree.
   * Returns the changes to announce once the transaction commits.
   */
  private async syncConversations(tx: EntityManager, tenantId: string): Promise<MembershipChange[]> {
    const desired = await queryRows<{ conversation_id: string; user_id: string }>(
      tx,
      `WITH RECURSIVE tree AS (
         SELECT id AS ancestor, id AS unit FROM org_units WHERE tenant_id = $1
         UNION
         SELECT tree.ancestor, u.id FROM tree JOIN org_units u ON u.parent_id = tree.unit
       )
       SELECT DISTINCT a.conversation_id, m.user_id
         FROM tree JOIN org_units a ON a.id = tree.ancestor JOIN org_unit_members m ON m.unit_id = tree.unit`,
      [tenantId],
    );
    const conversationIds = (
      await queryRows<{ conversation_id: string }>(
        tx,
        'SELECT conversation_id FROM org_units WHERE tenant_id = $1',
        [tenantId],
      )
    ).map((r) => r.conversation_id);
    const current = await this.conversations.membersOfMany(tx, conversationIds);
    const want = new Map<string, Set<string>>(conversationIds.map((id) => [id, new Set<string>()]));
    for (const d of desired) want.get(d.conversation_id)?.add(d.user_id);
    const changes: MembershipChange[] = [];
    for (const [conversationId, users] of want) {
      const change = await this.conversations.setMembersTx(
        tx,
        conversationId,
        users,
        current.get(conversationId) ?? new Set<string>(),
      );
      if (change.joined.length || change.left.length) changes.push(change);
    }
    return changes;
  }
}
