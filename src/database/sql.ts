import type { DataSource, EntityManager } from 'typeorm';

/** Where SQL runs: the pool, or the handle of a transaction in progress (always named `tx`). */
export type Db = DataSource | EntityManager;

/**
 * Runs SQL and returns its rows. TypeORM answers UPDATE/DELETE ... RETURNING with
 * `[rows, affectedCount]` but SELECT and INSERT with plain rows; this hides the difference.
 */
export async function queryRows<T>(db: Db, sql: string, params: unknown[] = []): Promise<T[]> {
  const result: unknown = await db.query(sql, params);
  if (
    Array.isArray(result) &&
    result.length === 2 &&
    Array.isArray(result[0]) &&
    typeof result[1] === 'number'
  ) {
    return result[0] as T[];
  }
  return result as T[];
}

/** Escapes LIKE's wildcards (`%`, `_`) and its escape character, so user text matches literally. */
export const escapeLike = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);
