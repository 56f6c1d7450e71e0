/**
 * Errors of the parts Relay depends on (PostgreSQL, Redis), classified where every edge can see
 * them: a dependency that is down answers SERVICE_UNAVAILABLE (retry later), never INTERNAL.
 */

/** The SQLSTATE of a PostgreSQL error; TypeORM keeps the driver's error as `driverError`. */
export function sqlState(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, driverError } = error as { code?: unknown; driverError?: { code?: unknown } };
  const state = driverError?.code ?? code;
  return typeof state === 'string' ? state : undefined;
}

/**
 * 57P01-57P03: the server shutting down or starting up; 53300: too many connections; 25P03: the
 * session ended for idling in a transaction (its node stalled).
 */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300', '25P03']);

/** Socket-level failures: the peer is not listening, went away or did not answer. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);

/**
 * What node-postgres and ioredis say when their connection is gone (they raise plain Errors
 * without a code for these), and socket failures named in a wrapper's message.
 */
const CONNECTION_LOST = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect/,
  /^Client has encountered a connection error/,
  /^Client was closed and is not queryable/,
  /^Connection is closed\.$/,
  /^Reached the max retries per request limit/,
  /^Stream isn't writeable/,
  // Wrapped by a client library (the AWS SDK) that kept only the message.
  /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|EPIPE)\b/,
];

/**
 * True when the error means a dependency is unreachable or restarting, not that the request was
 * wrong: SQLSTATE class 08 (connection exception) and the states above, a refused or reset
 * socket, a lost connection.
 */
export function isDependencyUnavailable(error: unknown): boolean {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
    const state = sqlState(e);
    if (state && (state.startsWith('08') || UNAVAILABLE_STATES.has(state) || SOCKET_CODES.has(state)))
      return true;
    const message = (e as { message?: unknown }).message;
    if (typeof message === 'string' && CONNECTION_LOST.some((re) => re.test(message))) return true;
    e = (e as { driverError?: unknown; cause?: unknown }).driverError ?? (e as { cause?: unknown }).cause;
  }
  return false;
}
