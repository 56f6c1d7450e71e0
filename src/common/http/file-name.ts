// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f"]/g;

/**
 * A client's file name kept for display and Content-Disposition only (never a path): the base name,
 * without control characters or quotes, at most 255 characters; null when nothing usable is left.
 */
export function displayFileName(original: string): string | null {
  const base = original.split(/[\\/]/).pop() ?? '';
  const clean = base.replace(UNPRINTABLE, '').trim().slice(0, 255);
  return clean.length > 0 && clean !== '.' && clean !== '..' ? clean : null;
}
