/** PostgreSQL SQLSTATE codes Relay reacts to. */
const UNIQUE_VIOLATION = '23505';

/** TypeORM wraps driver errors in QueryFailedError, which keeps the original as `driverError`. */
function sqlState(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, driverError } = error as { code?: unknown; driverError?: { code?: unknown } };
  const state = driverError?.code ?? code;
  return typeof state === 'string' ? state : undefined;
}

export const isUniqueViolation = (error: unknown): boolean => sqlState(error) === UNIQUE_VIOLATION;
