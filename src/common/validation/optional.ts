import { ValidateIf } from 'class-validator';

/**
 * The field may be left out; when present it is validated, null included (null is then refused by
 * the field's other rules). class-validator's IsOptional also lets null through, which services
 * would meet as a value; keep IsOptional for the few fields where null means something (clearing).
 */
export const Optional = (): PropertyDecorator =>
  ValidateIf((_object: object, value: unknown) => value !== undefined);
