import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/**
 * Validators for schemas of one document (an OpenAPI or AsyncAPI document's `components`), their
 * `#/components/...` references resolved within it.
 */
export class SchemaCheck {
  private readonly ajv = new Ajv({ strict: false, allErrors: true });

  constructor(
    private readonly id: string,
    components: object,
  ) {
    addFormats.default(this.ajv);
    this.ajv.addSchema({ $id: id, components });
  }

  compile(schema: object): ValidateFunction {
    return this.ajv.compile(
      JSON.parse(JSON.stringify(schema).replaceAll('"$ref":"#/', `"$ref":"${this.id}#/`)) as object,
    );
  }
}

/** The first problems a validator found, readable. */
export function problems(validate: ValidateFunction): string {
  return (validate.errors ?? [])
    .slice(0, 5)
    .map(
      (e) =>
        `${e.instancePath || '/'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`,
    )
    .join('; ');
}

/** Objects with named properties admit no others: a field the document does not name is a difference. */
export function closeObjects<T>(node: T): T {
  if (Array.isArray(node)) node.forEach(closeObjects);
  else if (node && typeof node === 'object') {
    const record = node as Record<string, unknown>;
    if (record.properties && typeof record.properties === 'object' && !('additionalProperties' in record)) {
      record.additionalProperties = false;
    }
    for (const [key, value] of Object.entries(record)) {
      // Under `properties` the keys are field names, each holding a schema.
      if (key === 'properties' && value && typeof value === 'object')
        Object.values(value).forEach(closeObjects);
      else closeObjects(value);
    }
  }
  return node;
}
