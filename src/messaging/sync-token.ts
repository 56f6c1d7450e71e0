import { AppError } from '../common/errors/app-error.js';

/**
 * A sync token is the PostgreSQL snapshot (`pg_current_snapshot()`) under which a sync read the
 * caller's state, base64url-encoded. A change (an edit, a deletion, a departure) records the
 * transaction that made it; it is new to the holder of a token exactly when that transaction is
 * not visible in the token's snapshot. So a change that commits while a sync runs, or that was
 * written by a transaction older than the sync but committed later, is never missed: it is not
 * visible in the token, and the next sync returns it. `xmin` bounds the index scans: every
 * transaction below it was finished (visible or aborted) when the snapshot was taken.
 */
export interface SyncSnapshot {
  /** `xmin:xmax:xip,...` as PostgreSQL prints a pg_snapshot. */
  text: string;
  /** The snapshot's xmin, as a decimal string (it may exceed 2^53). */
  xmin: string;
}

const PREFIX = 's1.';
const MAX_TOKEN_LENGTH = 8192;
const XID = /^\d{1,19}$/;

export function encodeSyncToken(snapshot: string): string {
  return PREFIX + Buffer.from(snapshot, 'utf8').toString('base64url');
}

/** Reads a token a client sent back; anything that is not one of ours is VALIDATION_FAILED on `since`. */
export function decodeSyncToken(token: string): SyncSnapshot {
  if (token.length > MAX_TOKEN_LENGTH || !token.startsWith(PREFIX)) throw malformed();
  const text = Buffer.from(token.slice(PREFIX.length), 'base64url').toString('utf8');
  const parts = text.split(':');
  if (parts.length !== 3) throw malformed();
  const [xminText, xmaxText, xipText] = parts as [string, string, string];
  if (!XID.test(xminText) || !XID.test(xmaxText)) throw malformed();
  const xmin = BigInt(xminText);
  const xmax = BigInt(xmaxText);
  if (xmin < 1n || xmin > xmax || xmax > 2n ** 63n - 1n) throw malformed();
  // PostgreSQL accepts in-progress ids only ascending, within [xmin, xmax).
  let previous = xmin - 1n;
  for (const xip of xipText === '' ? [] : xipText.split(',')) {
    if (!XID.test(xip)) throw malformed();
    const id = BigInt(xip);
    if (id <= previous || id >= xmax) throw malformed();
    previous = id;
  }
  return { text, xmin: xmin.toString() };
}

function malformed(): AppError {
  return AppError.validation('since is not a sync token of this server', {
    fields: [{ field: 'since', problems: ['must be a syncToken returned by sync'] }],
  });
}
