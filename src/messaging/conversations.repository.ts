import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { queryRows } from '../database/sql.js';
import type { ConversationType } from './conversation.entity.js';

/** What access checks need to know of a conversation; immutable once created. */
export interface ConversationRef {
  id: string;
  type: ConversationType;
  pairKey: string | null;
  groupId: string | null;
  orgUnitId: string | null;
  appId: string | null;
}

export interface NewConversation {
  type: Exclude<ConversationType, 'direct'>;
  title?: string | null;
  groupId?: string;
  orgUnitId?: string;
  appId?: string;
  pairKey?: string;
}

/** The columns of a {@link ConversationRef}, for statements that read conversations. */
export const REF_COLUMNS = 'id, type, pair_key, group_id, org_unit_id, app_id';

export interface RefRow {
  id: string;
  type: ConversationType;
  pair_key: string | null;
  group_id: string | null;
  org_unit_id: string | null;
  app_id: string | null;
}

export const toRef = (row: RefRow): ConversationRef => ({
  id: row.id,
  type: row.type,
  pairKey: row.pair_key,
  groupId: row.group_id,
  orgUnitId: row.org_unit_id,
  appId: row.app_id,
});

/**
 * The SQL of conversation rows themselves (their members are in membership.repository.ts, the
 * inbox in inbox.repository.ts, lookups by pair key in keyed-conversations.repository.ts).
 */
@Injectable()
export class ConversationsRepository {
  constructor(private readonly db: DataSource) {}

  async findRef(conversationId: string): Promise<ConversationRef | null> {
    const [row] = await queryRows<RefRow>(this.db, `SELECT ${REF_COLUMNS} FROM conversations WHERE id = $1`, [
      conversationId,
    ]);
    return row ? toRef(row) : null;
  }

  async insert(tx: EntityManager, fields: NewConversation): Promise<ConversationRef> {
    const [row] = await queryRows<RefRow>(
      tx,
      `INSERT INTO conversations (type, title, group_id, org_unit_id, app_id, pair_key)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${REF_COLUMNS}`,
      [
        fields.type,
        fields.title ?? null,
        fields.groupId ?? null,
        fields.orgUnitId ?? null,
        fields.appId ?? null,
        fields.pairKey ?? null,
      ],
    );
    if (!row) throw new Error('conversation insert returned nothing');
    return toRef(row);
  }

  /** Deletes a conversation (its messages go with it); remove its members first. */
  async delete(tx: EntityManager, conversationId: string): Promise<void> {
    await tx.query('DELETE FROM conversations WHERE id = $1', [conversationId]);
  }
}
