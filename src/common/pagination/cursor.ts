import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsString, MaxLength, Min } from 'class-validator';
import { AppError } from '../errors/app-error.js';
import { Optional } from '../validation/optional.js';

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 50;

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Converts a query-string number; a limit above 100 is clamped, never refused. */
export const clampLimit = ({ value }: { value: unknown }): unknown => {
  if (typeof value === 'number') return Number.isInteger(value) ? Math.min(value, MAX_PAGE_SIZE) : value;
  if (typeof value !== 'string' || !/^-?\d+$/.test(value)) return value;
  return Math.min(Number(value), MAX_PAGE_SIZE);
};

export class PageQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE })
  @Optional()
  @Transform(clampLimit)
  @IsInt()
  @Min(1)
  limit?: number;

  @ApiPropertyOptional({ description: 'Opaque cursor from a previous page (nextCursor)' })
  @Optional()
  @IsString()
  @MaxLength(512)
  cursor?: string;
}

/** Cursors are opaque base64url JSON tuples, e.g. `[createdAt, id]`. */
export function encodeCursor(parts: (string | number)[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

/**
 * What a part of a cursor may be: `text` (no control characters, at most 256 characters: it is
 * compared with a text column), `uuid`, `timestamp` (ISO 8601 as toISOString writes it) or
 * `number` (a safe integer).
 */
export type CursorPart = 'text' | 'uuid' | 'timestamp' | 'number';

const PART_CHECKS: Record<CursorPart, (part: unknown) => boolean> = {
  text: (p) => typeof p === 'string' && p.length <= 256 && !CONTROL_CHARACTERS.test(p),
  uuid: (p) => typeof p === 'string' && UUID.test(p),
  timestamp: (p) => typeof p === 'string' && ISO_TIMESTAMP.test(p) && !Number.isNaN(Date.parse(p)),
  number: (p) => typeof p === 'number' && Number.isSafeInteger(p),
};
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/**
 * Decodes a cursor and checks each part against the shape, so that nothing reaches the database
 * in a form it would reject; anything else is VALIDATION_FAILED on `cursor`.
 */
export function decodeCursor<T extends readonly CursorPart[]>(
  cursor: string,
  shape: T,
): { [K in keyof T]: T[K] extends 'number' ? number : string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw malformed();
  }
  if (!Array.isArray(parsed) || parsed.length !== shape.length) throw malformed();
  parsed.forEach((part, i) => {
    if (!PART_CHECKS[shape[i]!](part)) throw malformed();
  });
  return parsed as { [K in keyof T]: T[K] extends 'number' ? number : string };
}

function malformed(): AppError {
  return AppError.validation('cursor is malformed', {
    fields: [{ field: 'cursor', problems: ['malformed'] }],
  });
}

/** Builds a page from `limit + 1` fetched rows. */
export function toPage<R, T>(
  rows: R[],
  limit: number,
  map: (row: R) => T,
  cursorOf: (row: R) => string,
): Page<T> {
  const hasMore = rows.length > limit;
  const pageRows = hasMore ? rows.slice(0, limit) : rows;
  const last = pageRows[pageRows.length - 1];
  return { items: pageRows.map(map), nextCursor: hasMore && last !== undefined ? cursorOf(last) : null };
}

/** The response class of a list route: `{items: [Item], nextCursor}`, named `<Item>PageDto` for the OpenAPI document. */
export function pageOf<T>(item: new () => T): new () => Page<T> {
  class PageOfItems implements Page<T> {
    @ApiProperty({ type: [item] }) items!: T[];
    @ApiProperty({
      type: String,
      nullable: true,
      description: 'Pass as `cursor` for the next page; null on the last',
    })
    nextCursor!: string | null;
  }
  Object.defineProperty(PageOfItems, 'name', { value: `${item.name.replace(/Dto$/, '')}PageDto` });
  return PageOfItems;
}

/** A cursor naming the last row of a page by its id (a UUID). */
export const rowCursor = (id: string): string => encodeCursor([id]);

/** The id a {@link rowCursor} names; VALIDATION_FAILED on anything else. */
export function rowCursorId(cursor: string): string {
  return decodeCursor(cursor, ['uuid'] as const)[0];
}

/**
 * The keyset condition "after the row the cursor names" for a list ordered by `(created_at, id)`
 * of `table` (aliased `alias`): the row's own timestamp is read back, at full precision. `param`
 * is the placeholder the cursor's id is bound to.
 */
export function afterRow(
  cursor: string,
  table: string,
  alias: string,
  param: string,
): { sql: string; id: string } {
  const id = rowCursorId(cursor);
  return {
    sql: `AND (${alias}.created_at, ${alias}.id) > (SELECT created_at, id FROM ${table} WHERE id = ${param}::uuid)`,
    id,
  };
}
