import { AppError } from '../errors/app-error.js';

/** How deep a JSON body or socket payload may nest (objects and arrays). */
export const MAX_NESTING = 32;

// Control characters but tab, LF and CR (and DEL): refused in every text field.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

// Keys that reach object prototypes when copied into an object; no field of Relay is named so.
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Whether raw JSON nests deeper than `max`, found by one pass over the bytes before anything is
 * parsed (brackets inside strings do not count).
 */
export function jsonNestsDeeper(raw: Buffer, max = MAX_NESTING): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/** The error body-parser passes on when {@link jsonNestsDeeper} refuses a body. */
export function tooDeep(): Error & { status: number; type: string } {
  return Object.assign(new Error(`JSON nested deeper than ${MAX_NESTING} levels`), {
    status: 400,
    type: 'entity.too.deep',
  });
}

/**
 * Checks a value already parsed (a socket payload, a query string) before any per-field work:
 * no deeper than {@link MAX_NESTING}, no control character (but tab, CR and LF) in any string or
 * key, and no prototype key (`__proto__`, `constructor`, `prototype`). VALIDATION_FAILED naming
 * the first offending field otherwise.
 */
export function checkInputShape(value: unknown, root = ''): void {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value, path: root, depth: 0 }];
  while (stack.length > 0) {
    const { value: v, path, depth } = stack.pop()!;
    if (typeof v === 'string') {
      if (CONTROL.test(v)) throw refusal(path, 'must not contain control characters');
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= MAX_NESTING) throw refusal(path, `nested deeper than ${MAX_NESTING} levels`);
    const entries: [string, unknown][] = Array.isArray(v)
      ? v.map((item, i) => [String(i), item])
      : Object.entries(v as Record<string, unknown>);
    for (const [key, item] of entries) {
      const at = path ? `${path}.${key}` : key;
      if (CONTROL.test(key)) throw refusal(path || '(root)', 'keys must not contain control characters');
      if (PROTOTYPE_KEYS.has(key)) throw refusal(at, 'is not an allowed key');
      stack.push({ value: item, path: at, depth: depth + 1 });
    }
  }
}

function refusal(field: string, problem: string): AppError {
  return AppError.validation(`${field || 'payload'} ${problem}`, {
    fields: [{ field: field || 'payload', problems: [problem] }],
  });
}
