import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsUUID, type ValidationOptions } from 'class-validator';

const lower = (value: unknown): unknown => (typeof value === 'string' ? value.toLowerCase() : value);

/**
 * A UUID field (or, with `each`, an array of them), normalised to lower case as it is read, so
 * services compare ids without caring how a client spelled them.
 */
export function IsUuid(options: ValidationOptions = {}): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }: { value: unknown }) =>
      options.each && Array.isArray(value) ? value.map(lower) : lower(value),
    ),
    IsUUID(undefined, options),
  );
}
