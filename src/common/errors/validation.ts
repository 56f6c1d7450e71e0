import { type ArgumentMetadata, type ValidationError, ValidationPipe } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { AppError } from './app-error.js';
import { checkInputShape } from '../validation/input-shape.js';

export interface FieldProblem {
  field: string;
  problems: string[];
}

/** Flattens nested class-validator errors into `[{field: 'device.platform', problems}]`. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldProblem[] {
  const out: FieldProblem[] = [];
  for (const error of errors) {
    const field = parent ? `${parent}.${error.property}` : error.property;
    if (error.constraints) out.push({ field, problems: [...new Set(Object.values(error.constraints))] });
    if (error.children?.length) out.push(...flattenValidationErrors(error.children, field));
  }
  return out;
}

export function validationError(errors: ValidationError[]): AppError {
  const fields = flattenValidationErrors(errors);
  // The same problem of many fields (each element of an array) is said once.
  const message = [...new Set(fields.flatMap((f) => f.problems))].join('; ') || 'Invalid input';
  return AppError.validation(message, { fields });
}

/**
 * Refuses, before any per-field work, input nested too deep or holding control characters (but
 * tab, CR and LF) in any string: REST bodies, query strings and path parameters alike.
 */
class RelayValidationPipe extends ValidationPipe {
  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type !== 'custom')
      checkInputShape(value, metadata.type === 'body' ? '' : (metadata.data ?? ''));
    return super.transform(value, metadata);
  }
}

/** The pipe every edge uses: strips nothing silently, refuses unknown fields, converts types only where declared. */
export function createValidationPipe(): ValidationPipe {
  return new RelayValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: validationError,
  });
}

/**
 * Validates a socket payload with the same rules as REST bodies (the SocketRouter has checked its
 * nesting and control characters already); returns the typed instance.
 */
export async function validatePayload<T extends object>(dto: new () => T, payload: unknown): Promise<T> {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw AppError.validation('payload must be an object');
  }
  const instance = plainToInstance(dto, payload, { enableImplicitConversion: false });
  const errors = await validate(instance, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
  });
  if (errors.length > 0) throw validationError(errors);
  return instance;
}
