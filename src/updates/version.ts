/** A client version: 1 to 4 dot-separated integers ("2", "1.10.0", "3.2.1.4567"). */
export const VERSION_PATTERN = /^(0|[1-9]\d{0,8})(\.(0|[1-9]\d{0,8})){0,3}$/;

/** The version's parts padded to four, or null when it is not a version. */
export function parseVersion(version: string): number[] | null {
  if (!VERSION_PATTERN.test(version)) return null;
  const parts = version.split('.').map(Number);
  while (parts.length < 4) parts.push(0);
  return parts;
}

/** Numeric comparison: 1.10.0 > 1.9.3, and missing parts count as 0. */
export function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < 4; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

export const PLATFORM_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/;
