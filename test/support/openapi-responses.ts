import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { Response } from 'supertest';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { toJsonSchema } from '../../src/contract/json-schema.js';

const DOCUMENT_ID = 'https://relay.invalid/openapi.json';

interface Operation {
  responses?: Record<string, { content?: Record<string, { schema?: object }> }>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, object> };
}
interface Route {
  method: string;
  path: string;
  pattern: RegExp;
  operation: Operation;
}

/**
 * Every response a test receives is checked against the OpenAPI document the server serves: the
 * status must be documented for the route, and a JSON body must match its documented schema (read
 * as client generators read it, see `toJsonSchema`), with no field the schema does not name
 * (objects are closed for the check). A route the document does
 * not know is a failure too. Violations fail the request's test.
 */
export class ResponseContract {
  private readonly routes: Route[];
  private readonly ajv: Ajv;
  private readonly validators = new Map<object, ValidateFunction>();

  constructor(document: Document) {
    const closed = closeObjects(toJsonSchema(document));
    this.ajv = new Ajv({ strict: false, allErrors: true });
    addFormats.default(this.ajv);
    this.ajv.addSchema({ $id: DOCUMENT_ID, components: closed.components ?? {} });
    this.routes = Object.entries(closed.paths).flatMap(([path, operations]) =>
      Object.entries(operations).map(([method, operation]) => ({
        method: method.toUpperCase(),
        path,
        pattern: new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`),
        operation,
      })),
    );
  }

  /** Fetches the document a running server serves. */
  static async of(url: string): Promise<ResponseContract> {
    const response = await fetch(`${url}/docs-json`);
    if (!response.ok) throw new Error(`no OpenAPI document at ${url}/docs-json (${response.status})`);
    return new ResponseContract((await response.json()) as Document);
  }

  /** Why the response breaks the document, or null. */
  violation(method: string, url: string, res: Response): string | null {
    const path = new URL(url, 'http://x').pathname;
    if (!path.startsWith('/api/')) return null; // docs, health, metrics, invite pages: not the API
    const route = this.routes.find((r) => r.method === method && r.pattern.test(path));
    if (!route) {
      // A path the API does not have answers 404 in the error shape, and nothing else.
      if (res.status === 404 && res.body?.code === 'NOT_FOUND') return null;
      return `${method} ${path} is not in the OpenAPI document and answered ${res.status}`;
    }
    const responses = route.operation.responses ?? {};
    const documented =
      responses[String(res.status)] ?? responses[`${String(res.status)[0]}XX`] ?? responses.default;
    if (!documented) {
      return `${method} ${route.path} answered ${res.status}, which the document does not list (${Object.keys(responses).join(', ')})`;
    }
    const type = String(res.headers['content-type'] ?? '').split(';')[0] ?? '';
    if (type !== 'application/json') return null;
    const schema = documented.content?.['application/json']?.schema;
    if (!schema) {
      if (res.status === 204) return null;
      return `${method} ${route.path} ${res.status} returns JSON but documents no schema`;
    }
    let validate = this.validators.get(schema);
    if (!validate) {
      validate = this.ajv.compile(rebase(schema));
      this.validators.set(schema, validate);
    }
    if (validate(res.body)) return null;
    const problems = (validate.errors ?? [])
      .slice(0, 5)
      .map(
        (e) =>
          `${e.instancePath || '/'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`,
      );
    return `${method} ${route.path} ${res.status} differs from the document: ${problems.join('; ')}`;
  }

  /** A supertest agent on `url` whose every response is checked. */
  agent(url: string): TestAgent {
    const agent = request(url);
    for (const method of ['get', 'post', 'put', 'patch', 'delete'] as const) {
      const send = agent[method].bind(agent);
      (agent as unknown as Record<string, unknown>)[method] = (path: string) => {
        const test = send(path);
        return test.expect((res: Response) => {
          const violation = this.violation(method.toUpperCase(), path, res);
          if (violation) throw new Error(`OpenAPI: ${violation}`);
        });
      };
    }
    return agent;
  }
}

/** `#/components/...` references as references into the document added under `openapi.json`. */
function rebase(schema: object): object {
  return JSON.parse(JSON.stringify(schema).replaceAll('"$ref":"#/', `"$ref":"${DOCUMENT_ID}#/`)) as object;
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
