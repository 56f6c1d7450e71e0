export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  QUOTA_EXCEEDED: 429,
  SERVICE_UNAVAILABLE: 503,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** The wire shape of every failure: HTTP body (with statusCode) and socket ack `error`. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

/** The one error type services throw. The filter and the gateway map it to HTTP and acks. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    /** Seconds until a rate-limited caller may retry (sent as Retry-After). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'AppError';
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  toBody(): ErrorBody {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }

  static validation(message: string, details?: unknown): AppError {
    return new AppError('VALIDATION_FAILED', message, details);
  }
  static unauthorized(message = 'Authentication required'): AppError {
    return new AppError('UNAUTHORIZED', message);
  }
  static forbidden(message = 'Not allowed'): AppError {
    return new AppError('FORBIDDEN', message);
  }
  static notFound(what: string): AppError {
    return new AppError('NOT_FOUND', `${what} not found`);
  }
  static conflict(message: string): AppError {
    return new AppError('CONFLICT', message);
  }
  /** Ids the caller named that do not exist (at most 50 listed), in one shape everywhere. */
  static unknownIds(what: string, ids: string[]): AppError {
    return new AppError('NOT_FOUND', `Some ${what} do not exist`, { unknownIds: ids.slice(0, 50) });
  }
  static rateLimited(retryAfterSeconds: number): AppError {
    return new AppError('RATE_LIMITED', 'Too many requests', { retryAfterSeconds }, retryAfterSeconds);
  }
  /** The node is overloaded: the caller should come back after `retryAfterMs`. */
  static unavailable(message: string, retryAfterMs: number): AppError {
    const ms = Math.max(1, Math.round(retryAfterMs));
    return new AppError('SERVICE_UNAVAILABLE', message, { retryAfterMs: ms }, Math.ceil(ms / 1000));
  }
}
