import { describe, expect, it, jest } from '@jest/globals';
import { NotFoundException } from '@nestjs/common';
import { AppError } from './app-error.js';
import { loggable, toAppError } from './all-exceptions.filter.js';

describe('toAppError', () => {
  it('keeps AppErrors', () => {
    const e = AppError.conflict('taken');
    expect(toAppError(e, () => undefined)).toBe(e);
  });

  it('maps Nest HTTP exceptions to codes', () => {
    expect(toAppError(new NotFoundException('Cannot GET /x'), () => undefined).toBody()).toEqual({
      code: 'NOT_FOUND',
      message: 'Cannot GET /x',
    });
  });

  it('maps body-parser errors', () => {
    const tooLarge = Object.assign(new Error('request entity too large'), {
      status: 413,
      type: 'entity.too.large',
    });
    expect(toAppError(tooLarge, () => undefined).code).toBe('PAYLOAD_TOO_LARGE');
    const parse = Object.assign(new Error('Unexpected token'), { status: 400, type: 'entity.parse.failed' });
    expect(toAppError(parse, () => undefined).code).toBe('VALIDATION_FAILED');
  });

  it('logs unknown errors and answers INTERNAL without internals', () => {
    const log = jest.fn();
    const secret = new Error('password=hunter2 at db.internal:5432');
    const mapped = toAppError(secret, log);
    expect(mapped.toBody()).toEqual({ code: 'INTERNAL', message: 'Internal server error' });
    expect(mapped.status).toBe(500);
    expect(log).toHaveBeenCalledWith(secret);
  });
});

describe('loggable', () => {
  it('keeps the kind, message and SQLSTATE of an error but not its parameters or row values', () => {
    const dbError = Object.assign(new Error('duplicate key value violates unique constraint'), {
      name: 'QueryFailedError',
      code: '23505',
      parameters: ['secret message body', '$argon2id$hash'],
      detail: 'Key (username_key)=(alice) already exists.',
    });
    const out = loggable(dbError);
    expect(out).toMatchObject({
      type: 'QueryFailedError',
      message: 'duplicate key value violates unique constraint',
      code: '23505',
    });
    expect(JSON.stringify(out)).not.toMatch(/secret message body|argon2id|alice/);
  });
});
