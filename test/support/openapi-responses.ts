import type { ValidateFunction } from 'ajv';
import type { Response } from 'supertest';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { toJsonSchema } from '../../src/contract/json-schema.js';
import { closeObjects, problems, SchemaCheck } from './schema-check.js';

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
  private readonly schemas: SchemaCheck;
  private readonly validators = new Map<object, ValidateFunction>();

  constructor(document: Document) {
    const closed = closeObjects(toJsonSchema(document));
    this.schemas = new SchemaCheck(DOCUMENT_ID, closed.components ?? {});
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
      validate = this.schemas.compile(schema);
      this.validators.set(schema, validate);
    }
    if (validate(res.body)) return null;
    return `${method} ${route.path} ${res.status} differs from the document: ${problems(validate)}`;
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
