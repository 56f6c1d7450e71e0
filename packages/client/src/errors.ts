import type { ErrorCode } from './generated/socket-events.js';

/** Why a call failed: Relay's own codes, or TIMEOUT (no answer in time) and NETWORK (no connection). */
export type RelayErrorCode = ErrorCode | 'TIMEOUT' | 'NETWORK';

/** Every failure the client reports, REST and socket alike. */
export class RelayError extends Error {
  override readonly name = 'RelayError';

  constructor(
    readonly code: RelayErrorCode,
    message: string,
    readonly details?: unknown,
    /** The HTTP status of a REST failure. */
    readonly status?: number,
  ) {
    super(message);
  }

  /** When Relay said to come back (RATE_LIMITED, SERVICE_UNAVAILABLE), in ms. */
  get retryAfterMs(): number | undefined {
    const details = this.details as { retryAfterMs?: unknown; retryAfterSeconds?: unknown } | undefined;
    if (typeof details?.retryAfterMs === 'number') return details.retryAfterMs;
    if (typeof details?.retryAfterSeconds === 'number') return details.retryAfterSeconds * 1000;
    return undefined;
  }

  /** Whether the same call may succeed later (a send is then retried with its clientMsgId). */
  get retryable(): boolean {
    return ['TIMEOUT', 'NETWORK', 'SERVICE_UNAVAILABLE', 'RATE_LIMITED'].includes(this.code);
  }

  /** From a refusal body, `{code, message, details?}` (HTTP adds statusCode). */
  static from(body: unknown, status?: number): RelayError {
    const b = (body ?? {}) as { code?: unknown; message?: unknown; details?: unknown };
    const code = typeof b.code === 'string' ? (b.code as ErrorCode) : 'INTERNAL';
    const message =
      typeof b.message === 'string' ? b.message : `Request failed${status ? ` (${status})` : ''}`;
    return new RelayError(code, message, b.details, status);
  }
}
