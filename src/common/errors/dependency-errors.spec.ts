import { describe, expect, it } from '@jest/globals';
import { isDependencyUnavailable } from './dependency-errors.js';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isDependencyUnavailable', () => {
  it('recognises a database or Redis that is down, restarting or gone, however wrapped', () => {
    for (const error of [
      withCode('57P01', 'terminating connection due to administrator command'),
      withCode('57P03', 'the database system is starting up'),
      withCode('08006'),
      withCode('25P03', 'terminating connection due to idle-in-transaction timeout'),
      withCode('ECONNREFUSED'),
      new Error('Connection terminated unexpectedly'),
      new Error('Connection is closed.'),
      new Error('AWS SDK error wrapper for Error: connect ECONNREFUSED 127.0.0.1:9000'),
      Object.assign(new Error('query failed'), { driverError: withCode('57P01') }),
      new Error('outer', { cause: new Error('Connection terminated due to connection timeout') }),
    ])
      expect(isDependencyUnavailable(error)).toBe(true);
  });

  it('leaves everything else alone: a refused value, a conflict, a bug', () => {
    for (const error of [
      withCode('23505', 'duplicate key value'),
      withCode('22P05', 'unsupported Unicode escape sequence'),
      new TypeError("Cannot read properties of undefined (reading 'id')"),
      'a string',
      null,
    ])
      expect(isDependencyUnavailable(error)).toBe(false);
  });
});
