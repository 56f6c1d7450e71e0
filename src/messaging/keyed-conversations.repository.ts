import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { queryRows } from '../database/sql.js';
import type { ConversationType } from './conversation.entity.js';
import { type ConversationRef, REF_COLUMNS, type RefRow, toRef } from './conversations.repository.js';

/** The pair key of a direct conversation: the two user ids, sorted, joined by ':'. */
export const pairKeyOf = (a: string, b: string): string => (a < b ? `${a}:${b}` : `${b}:${a}`);

/** The other user of a direct conversation's pair key. */
export const peerOf = (pairKey: string, userId: string): string => {
  const [a, b] = pairKey.split(':') as [string, string];
  return a === userId ? b : a;
};

/**
 * The SQL of conversations that exist once per pair key: direct conversations (one per pair of
 * users) and application channels (one per application and user).
 */
@Injectable()
export class KeyedConversationsRepository {
  constructor(private readonly db: DataSource) {}

  async findByPairKey(pairKey: string): Promise<ConversationRef | null> {
    const [row] = await queryRows<RefRow>(
      this.db,
      `SELECT ${REF_COLUMNS} FROM conversations WHERE pair_key = $1`,
      [pairKey],
    );
    return row ? toRef(row) : null;
  }

  /** Inserts a direct conversation; null when one with this pair key exists already. */
  async insertDirect(tx: EntityManager, pairKey: string): Promise<ConversationRef | null> {
    const [row] = await queryRows<RefRow>(
      tx,
      `INSERT INTO conversations (type, pair_key) VALUES ('direct', $1)
       ON CONFLICT (pair_key) DO NOTHING RETURNING ${REF_COLUMNS}`,
      [pairKey],
    );
    return row ? toRef(row) : null;
  }

  /**
   * Conversations of one type keyed by `pairKey`, each with one member, created where missing.
   * Returns the conversation id of every key and the keys that got a new conversation.
   */
  async ensureKeyed(
    tx: EntityManager,
    fields: { type: Exclude<ConversationType, 'direct'>; title: string; appId?: string },
    members: { pairKey: string; userId: string }[],
  ): Promise<{ byKey: Map<string, string>; created: Set<string> }> {
    const keys = members.map((m) => m.pairKey);
    const inserted = await queryRows<{ id: string; pair_key: string }>(
      tx,
      `INSERT INTO conversations (type, title, app_id, pair_key, member_count)
       SELECT $1, $2, $3, k, 1 FROM unnest($4::text[]) AS k
       ON CONFLICT (pair_key) DO NOTHING RETURNING id, pair_key`,
      [fields.type, fields.title, fields.appId ?? null, keys],
    );
    if (inserted.length > 0) {
      const userOf = new Map(members.map((m) => [m.pairKey, m.userId]));
      await tx.query(
        'INSERT INTO conversation_members (conversation_id, user_id) SELECT unnest($1::uuid[]), unnest($2::uuid[])',
        [inserted.map((r) => r.id), inserted.map((r) => userOf.get(r.pair_key))],
      );
    }
    const all = await queryRows<{ id: string; pair_key: string }>(
      tx,
      'SELECT id, pair_key FROM conversations WHERE pair_key = ANY($1::text[])',
      [keys],
    );
    return {
      byKey: new Map(all.map((r) => [r.pair_key, r.id])),
      created: new Set(inserted.map((r) => r.pair_key)),
    };
  }
}
