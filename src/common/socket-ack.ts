import type { Logger } from '@nestjs/common';
import { loggable, toAppError } from './errors/all-exceptions.filter.js';
import type { ErrorBody } from './errors/app-error.js';

export type Ack<T> = { ok: true; data: T } | { ok: false; error: ErrorBody };

/** Runs a socket handler and turns its outcome into the ack shape; unknown errors are logged, not leaked. */
export async function ack<T>(logger: Logger, fn: () => Promise<T>): Promise<Ack<T>> {
  try {
    return { ok: true, data: await fn() };
  } catch (error) {
    const appError = toAppError(error, (e) => logger.error({ err: loggable(e) }, 'socket handler failed'));
    return { ok: false, error: appError.toBody() };
  }
}
