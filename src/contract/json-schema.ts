/**
 * An OpenAPI 3.0 schema as JSON Schema, read as client generators read it: `nullable: true` admits
 * null whatever else the schema says (also beside `allOf`, `$ref` or `enum`, where a plain
 * JSON Schema reading would refuse null). Everything else is the same in both.
 */
export function toJsonSchema<T>(node: T): T {
  if (Array.isArray(node)) return node.map(toJsonSchema) as T;
  if (!node || typeof node !== 'object') return node;
  const record = Object.fromEntries(
    Object.entries(node).map(([key, value]) => [
      key,
      // Under `properties` the keys are field names (one may be called `nullable`), not keywords.
      key === 'properties' && value && typeof value === 'object'
        ? Object.fromEntries(
            Object.entries(value as Record<string, unknown>).map(([name, schema]) => [
              name,
              toJsonSchema(schema),
            ]),
          )
        : toJsonSchema(value),
    ]),
  ) as Record<string, unknown>;
  if (record.nullable !== true) return record as T;
  const { nullable: _nullable, description, ...rest } = record;
  return { ...(description === undefined ? {} : { description }), anyOf: [rest, { type: 'null' }] } as T;
}
