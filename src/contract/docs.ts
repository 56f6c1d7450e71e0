import type { NestExpressApplication } from '@nestjs/platform-express';
import type { INestApplication } from '@nestjs/common';
import { type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { Response } from 'express';
import helmet from 'helmet';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildAsyncApiDocument } from './asyncapi.js';
import { buildOpenApiDocument } from './openapi.js';
import { contractModels } from './socket-contract.js';

/** The pages `npm run build:web` builds (the same place from `src/contract` and `dist/contract`). */
export const WEB_ROOT = fileURLToPath(new URL('../../dist/web/', import.meta.url));

/**
 * Every document and page for client developers: Swagger UI at /docs (OpenAPI JSON at /docs-json),
 * the socket contract at /docs/events (AsyncAPI 3, rendered; JSON at /docs/events.json) and the demo
 * web client at /demo.
 */
export function setupDocs(app: NestExpressApplication): void {
  const { openapi, asyncapi } = buildDocuments(app);
  SwaggerModule.setup('docs', app, openapi, { jsonDocumentUrl: 'docs-json' });
  const http = app.getHttpAdapter().getInstance();
  http.get('/docs/events.json', (_req: unknown, res: Response) => {
    res.json(asyncapi);
  });
  // AsyncAPI's renderer validates the document in the page with Ajv, which compiles its checks
  // with `new Function`: this page (and only it) may evaluate scripts of its own origin.
  http.use(
    '/docs/events',
    helmet.contentSecurityPolicy({
      directives: {
        ...helmet.contentSecurityPolicy.getDefaultDirectives(),
        'script-src': ["'self'", "'unsafe-eval'"],
      },
    }),
  );
  http.get('/docs/events', (_req: unknown, res: Response) => {
    if (!existsSync(`${WEB_ROOT}events/index.html`)) {
      const message =
        'The socket contract page is not built (npm run build:web); its JSON is at /docs/events.json';
      res.status(404).json({ statusCode: 404, code: 'NOT_FOUND', message });
      return;
    }
    res.sendFile('index.html', { root: `${WEB_ROOT}events` });
  });
  app.useStaticAssets(`${WEB_ROOT}events`, { prefix: '/docs/events/', index: false });
  app.useStaticAssets(`${WEB_ROOT}demo`, { prefix: '/demo/' });
  http.get('/demo', (_req: unknown, res: Response) => {
    res.redirect(301, '/demo/');
  });
}

/** The REST contract (OpenAPI, with the socket contract's shapes) and the socket contract (AsyncAPI). */
export function buildDocuments(app: INestApplication): {
  openapi: OpenAPIObject;
  asyncapi: Record<string, unknown>;
} {
  const openapi = buildOpenApiDocument(app, contractModels());
  return { openapi, asyncapi: buildAsyncApiDocument(openapi) };
}

/** Whether the web pages were built (`npm run build:web`): /docs/events and /demo need them. */
export const webBuilt = (): boolean => existsSync(`${WEB_ROOT}demo/index.html`);
