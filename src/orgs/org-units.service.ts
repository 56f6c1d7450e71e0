import { randomUUID } from 'node:crypto';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { AppError } from '../common/errors/app-error.js';
import { type Page, rowCursor, rowCursorId, toPage } from '../common/pagination/cursor.js';
import { ConversationAccess } from '../messaging/conversation-access.service.js';
import type { ConversationRef } from '../messaging/conversations.repository.js';
import { ConversationsService, type MembershipChange } from '../messaging/conversations.service.js';
import type { OrgUnit } from './org-unit.entity.js';
import { OrgUnitsRepository } from './org-units.repository.js';
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
    private readonly db: DataSource,
    private readonly units: OrgUnitsRepository,
    private readonly tenants: TenantsService,
    private readonly conversations: ConversationsService,
    private readonly access: ConversationAccess,
  ) {}

  onModuleInit(): void {
    this.access.registerPolicy({
      kind: 'org',
      recipient: 'org',
      resolve: async (userId, unitId) => {
        const unit = await this.unitFor(userId, unitId);
        await this.tenants.requireRole(userId, unit.tenantId, POSTERS);
        return (await this.access.ref(unit.conversationId))!;
      },
      canPost: async (userId, conversation: ConversationRef) => {
        const unit = await this.units.find(this.db, conversation.orgUnitId!);
        if (!unit || !(await this.tenants.roleOf(unit.tenantId, userId)))
          throw AppError.notFound('Conversation');
        await this.tenants.requireRole(userId, unit.tenantId, POSTERS);
      },
      charge: async (conversation: ConversationRef) => {
        const unit = await this.units.find(this.db, conversation.orgUnitId!);
        if (!unit) throw AppError.notFound('Conversation');
        return this.tenants.consume(unit.tenantId, 'messages', 1);
      },
    });
  }

  async create(actorId: string, tenantId: string, name: string, parentId?: string): Promise<OrgUnit> {
    await this.tenants.requireRole(actorId, tenantId, POSTERS);
    return this.db.transaction(async (tx) => {
      await this.tenants.lock(tx, tenantId);
      if (parentId) await this.unitInTenant(tx, parentId, tenantId);
      const unitId = randomUUID();
      const conversation = await this.conversations.create(
        tx,
        { type: 'org', title: name.trim(), orgUnitId: unitId },
        [],
      );
      return this.units.save(tx, {
        id: unitId,
        tenantId,
        parentId: parentId ?? null,
        name: name.trim(),
        conversationId: conversation.id,
      });
    });
  }

  /** The tenant's units as a tree (tenant members only). */
  async tree(actorId: string, tenantId: string): Promise<OrgUnitNode[]> {
    await this.tenants.requireRole(actorId, tenantId, ['owner', 'admin', 'member']);
    const rows = await this.units.unitsOf(tenantId);
    const nodes = new Map<string, OrgUnitNode>(rows.map((r) => [r.id, { ...r, children: [] }]));
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
    const changed = await this.db.transaction(async (tx) => {
      await this.tenants.lock(tx, unit.tenantId);
      const current = (await this.units.find(tx, unitId))!;
      if (patch.name !== undefined) current.name = patch.name.trim();
      let moved = false;
      if (patch.parentId !== undefined && patch.parentId !== current.parentId) {
        if (patch.parentId !== null) {
          await this.unitInTenant(tx, patch.parentId, unit.tenantId);
          const below = await this.units.subtreeIds(tx, unitId);
          if (below.includes(patch.parentId)) {
            throw AppError.conflict('A unit cannot move under itself or one of its descendants');
          }
        }
        current.parentId = patch.parentId;
        moved = true;
      }
      await this.units.save(tx, current);
      const announce = moved ? await this.syncConversations(tx, unit.tenantId) : [];
      return { unit: current, announce };
    });
    await this.conversations.announce(...changed.announce);
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
    const result = await this.db.transaction(async (tx) => {
      await this.tenants.lock(tx, unit.tenantId);
      return {
        added: await this.units.insertMembers(tx, unitId, unique),
        announce: await this.syncConversations(tx, unit.tenantId),
      };
    });
    await this.conversations.announce(...result.announce);
    return result.added;
  }

  async removeMember(actorId: string, unitId: string, userId: string): Promise<void> {
    const unit = await this.unitFor(actorId, unitId);
    await this.tenants.requireRole(actorId, unit.tenantId, POSTERS);
    const announce = await this.db.transaction(async (tx) => {
      await this.tenants.lock(tx, unit.tenantId);
      if (!(await this.units.deleteMember(tx, unitId, userId))) throw AppError.notFound('Unit member');
      return this.syncConversations(tx, unit.tenantId);
    });
    await this.conversations.announce(...announce);
  }

  /** Members of the unit, or (recursive) of the unit and every unit below it. */
  async members(
    actorId: string,
    unitId: string,
    options: { recursive: boolean; limit: number; cursor?: string },
  ): Promise<Page<{ userId: string; unitId: string }>> {
    const unit = await this.unitFor(actorId, unitId);
    await this.tenants.requireRole(actorId, unit.tenantId, ['owner', 'admin', 'member']);
    const afterUserId = options.cursor ? rowCursorId(options.cursor) : undefined;
    const units = options.recursive ? await this.units.subtreeIds(this.db, unitId) : [unitId];
    const rows = await this.units.membersOf(units, { limit: options.limit + 1, afterUserId });
    return toPage(
      rows,
      options.limit,
      (m) => m,
      (m) => rowCursor(m.userId),
    );
  }

  /** Users in the unit's subtree (for application pushes). */
  async subtreeMemberIds(tenantId: string, unitId: string): Promise<string[]> {
    if (!(await this.units.find(this.db, unitId, tenantId))) throw AppError.notFound('Org unit');
    const members = await this.units.membersOf(await this.units.subtreeIds(this.db, unitId));
    return members.map((m) => m.userId);
  }

  /** A unit the caller can see (member of its tenant); NOT_FOUND otherwise. */
  private async unitFor(userId: string, unitId: string): Promise<OrgUnit> {
    const unit = await this.units.find(this.db, unitId);
    if (!unit || !(await this.tenants.roleOf(unit.tenantId, userId))) throw AppError.notFound('Org unit');
    return unit;
  }

  private async unitInTenant(tx: EntityManager, unitId: string, tenantId: string): Promise<void> {
    if (!(await this.units.find(tx, unitId, tenantId))) throw AppError.notFound('Parent unit');
  }

  /**
   * Makes every unit conversation of the tenant hold exactly the users of the unit's subtree.
   * Returns the changes to announce once the transaction commits.
   */
  private async syncConversations(tx: EntityManager, tenantId: string): Promise<MembershipChange[]> {
    const desired = await this.units.subtreeMemberships(tx, tenantId);
    const conversationIds = await this.units.conversationIdsOf(tx, tenantId);
    const current = await this.conversations.membersOfMany(tx, conversationIds);
    const want = new Map<string, Set<string>>(conversationIds.map((id) => [id, new Set<string>()]));
    for (const d of desired) want.get(d.conversationId)?.add(d.userId);
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
