import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AppError, type ErrorCode } from './app-error.js';
import { isDependencyUnavailable } from './dependency-errors.js';

const CODE_FOR_STATUS: Record<number, ErrorCode> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'VALIDATION_FAILED',
  429: 'RATE_LIMITED',
  503: 'SERVICE_UNAVAILABLE',
};

/** How long a caller is asked to wait when the database or Redis is unreachable. */
const DEPENDENCY_RETRY_MS = 1000;

/** Errors raised by body-parser/multer before Nest sees the request carry `status` and `type`. */
interface LowLevelHttpError {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
}

/**
 * What of an unexpected error goes to the log: its kind, message, SQLSTATE and stack. Never the
 * whole object: database errors carry the statement's parameters (message bodies, hashes) and
 * the offending row's values in `detail`.
 */
export function loggable(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { type: typeof error };
  const code = (error as { code?: unknown }).code;
  return {
    type: error.name,
    message: error.message,
    ...(typeof code === 'string' ? { code } : {}),
    stack: error.stack,
  };
}

/**
 * Turns any thrown value into an AppError: known errors keep their code, everything else is
 * logged with the request id and answered as INTERNAL without internals.
 */
export function toAppError(error: unknown, log: (error: unknown) => void): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof HttpException) {
    // Express middleware errors (body-parser's) arrive wrapped; what they say is in the cause.
    const cause = error.cause as LowLevelHttpError | undefined;
    if (cause instanceof Error && typeof (cause.status ?? cause.statusCode) === 'number')
      return toAppError(cause, log);
    const status = error.getStatus();
    const code = CODE_FOR_STATUS[status];
    if (code) {
      const response = error.getResponse();
      const message =
        typeof response === 'object' && response !== null && 'message' in response
          ? String(response.message)
          : error.message;
      return new AppError(code, message);
    }
  }
  const low = error as LowLevelHttpError | null;
  const status = low?.status ?? low?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500 && low?.expose !== false) {
    if (low?.type === 'entity.too.large' || status === 413) {
      return new AppError('PAYLOAD_TOO_LARGE', 'Request body too large');
    }
    if (low?.type === 'entity.parse.failed') {
      return AppError.validation('Request body is not valid JSON');
    }
    if (low?.type === 'entity.too.deep') {
      return AppError.validation((error as Error).message, {
        fields: [{ field: 'body', problems: [(error as Error).message] }],
      });
    }
    const code = CODE_FOR_STATUS[status];
    if (code) return new AppError(code, (error as Error).message);
  }
  if (isDependencyUnavailable(error)) {
    return AppError.unavailable(
      'A service Relay depends on is unavailable; retry shortly',
      DEPENDENCY_RETRY_MS,
    );
  }
  log(error);
  return new AppError('INTERNAL', 'Internal server error');
}

@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request & { id?: string }>();
    const res = ctx.getResponse<Response>();
    const error = toAppError(exception, (e) =>
      this.logger.error(
        { err: loggable(e), requestId: req.id, route: `${req.method} ${req.path}` },
        'Unhandled error',
      ),
    );
    if (res.headersSent) return;
    if (error.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(error.retryAfterSeconds));
    res.status(error.status).json({ statusCode: error.status, ...error.toBody() });
  }
}
