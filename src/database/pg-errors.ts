import { sqlState } from '../common/errors/dependency-errors.js';

/** PostgreSQL SQLSTATE codes Relay reacts to. */
const UNIQUE_VIOLATION = '23505';
const DEADLOCK_DETECTED = '40P01';
const SERIALIZATION_FAILURE = '40001';

export const isUniqueViolation = (error: unknown): boolean => sqlState(error) === UNIQUE_VIOLATION;

/** A write that lost a race and succeeds when run again: a concurrent unique insert, a deadlock. */
export const isRetryableWriteConflict = (error: unknown): boolean => {
  const state = sqlState(error);
  return state === UNIQUE_VIOLATION || state === DEADLOCK_DETECTED || state === SERIALIZATION_FAILURE;
};

/** The data itself was refused (class 22: a NUL in text, a value out of range, bad encoding). */
export const isDataException = (error: unknown): boolean => sqlState(error)?.startsWith('22') ?? false;

/** A row referred to is gone (an attachment collected while a message linking it was stored). */
export const isForeignKeyViolation = (error: unknown): boolean => sqlState(error) === '23503';
