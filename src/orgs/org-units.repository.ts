import { Injectable } from '@nestjs/common';
import { DataSource, type DeepPartial, type EntityManager } from 'typeorm';
import { type Db, queryRows } from '../database/sql.js';
import { OrgUnit, OrgUnitMember } from './org-unit.entity.js';

export interface UnitRow {
  id: string;
  name: string;
  parentId: string | null;
  conversationId: string;
  memberCount: number;
}

/** The SQL of org units and their direct members. */
@Injectable()
export class OrgUnitsRepository {
  constructor(private readonly db: DataSource) {}

  /** The unit (in the given tenant, when named). */
  find(db: Db, id: string, tenantId?: string): Promise<OrgUnit | null> {
    return db.getRepository(OrgUnit).findOneBy(tenantId ? { id, tenantId } : { id });
  }

  save(tx: EntityManager, unit: DeepPartial<OrgUnit>): Promise<OrgUnit> {
    const repo = tx.getRepository(OrgUnit);
    return repo.save(repo.create(unit));
  }

  /** Every unit of a tenant with its number of direct members, in creation order. */
  async unitsOf(tenantId: string): Promise<UnitRow[]> {
    const rows = await queryRows<{
      id: string;
      name: string;
      parent_id: string | null;
      conversation_id: string;
      members: number;
    }>(
      this.db,
      `SELECT u.id, u.name, u.parent_id, u.conversation_id, count(m.user_id)::int AS members
         FROM org_units u LEFT JOIN org_unit_members m ON m.unit_id = u.id
        WHERE u.tenant_id = $1 GROUP BY u.id ORDER BY u.created_at, u.id`,
      [tenantId],
    );
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      parentId: r.parent_id,
      conversationId: r.conversation_id,
      memberCount: r.members,
    }));
  }

  /** Adds direct members; returns who was not one yet. */
  async insertMembers(tx: EntityManager, unitId: string, userIds: string[]): Promise<string[]> {
    const rows = await queryRows<{ user_id: string }>(
      tx,
      'INSERT INTO org_unit_members (unit_id, user_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING RETURNING user_id',
      [unitId, userIds],
    );
    return rows.map((r) => r.user_id);
  }

  /** Removes a direct member; false when they were not one. */
  async deleteMember(tx: EntityManager, unitId: string, userId: string): Promise<boolean> {
    const result = await tx.getRepository(OrgUnitMember).delete({ unitId, userId });
    return (result.affected ?? 0) > 0;
  }

  /** The members of these units, each user once with one of their units. */
  /** The users of these units (each once, with one of their units), by user id after `afterUserId`. */
  async membersOf(
    unitIds: string[],
    page?: { limit: number; afterUserId?: string },
  ): Promise<{ userId: string; unitId: string }[]> {
    const rows = await queryRows<{ user_id: string; unit_id: string }>(
      this.db,
      `SELECT DISTINCT ON (user_id) user_id, unit_id FROM org_unit_members
        WHERE unit_id = ANY($1::uuid[]) AND ($2::uuid IS NULL OR user_id > $2::uuid)
        ORDER BY user_id, unit_id LIMIT $3`,
      [unitIds, page?.afterUserId ?? null, page?.limit ?? null],
    );
    return rows.map((r) => ({ userId: r.user_id, unitId: r.unit_id }));
  }

  /** The unit and every unit below it. */
  async subtreeIds(db: Db, unitId: string): Promise<string[]> {
    const rows = await queryRows<{ id: string }>(
      db,
      `WITH RECURSIVE sub AS (
         SELECT id FROM org_units WHERE id = $1
         UNION
         SELECT u.id FROM org_units u JOIN sub ON u.parent_id = sub.id
       ) SELECT id FROM sub`,
      [unitId],
    );
    return rows.map((r) => r.id);
  }

  /** Who belongs in each unit conversation of the tenant: the members of the unit and every unit below it. */
  async subtreeMemberships(
    tx: EntityManager,
    tenantId: string,
  ): Promise<{ conversationId: string; userId: string }[]> {
    const rows = await queryRows<{ conversation_id: string; user_id: string }>(
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
    return rows.map((r) => ({ conversationId: r.conversation_id, userId: r.user_id }));
  }

  async conversationIdsOf(tx: EntityManager, tenantId: string): Promise<string[]> {
    const rows = await queryRows<{ conversation_id: string }>(
      tx,
      'SELECT conversation_id FROM org_units WHERE tenant_id = $1',
      [tenantId],
    );
    return rows.map((r) => r.conversation_id);
  }
}
