import { type INestApplication, Logger, type LoggerService, type Type } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ErrorResponseDto } from '../common/http/api-errors.js';

const ERROR_REF = { $ref: '#/components/schemas/ErrorResponseDto' };
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/**
 * Relay's OpenAPI document, built from the controllers and DTOs, plus `extraModels` (the socket
 * contract's payloads, so that one document holds every shape a client meets). Two DTO classes
 * with one name would silently show one's shape for the other's: that fails the build here (and so
 * start-up and every test), instead of Nest's warning.
 *
 * Answers every route can give are added to each operation: 503 (a dependency is down, or the node
 * is draining) and, with a body, 413 (too large or nested too deep) and 400.
 */
export function buildOpenApiDocument(app: INestApplication, extraModels: Type[] = []): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Relay')
    .setDescription(
      'Instant-messaging backend. Live traffic uses Socket.IO: the socket contract is at /docs/events ' +
        '(AsyncAPI 3, JSON at /docs/events.json). Every failure answers {statusCode, code, message, details?}.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-App-Key' }, 'app-key')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Service-Key' }, 'service-key')
    .build();
  const duplicates: string[] = [];
  const document = withLoggerWatch(
    (message) => {
      const name = /Duplicate DTO detected: "([^"]+)"/.exec(message)?.[1];
      if (name) duplicates.push(name);
      return Boolean(name);
    },
    () => SwaggerModule.createDocument(app, config, { extraModels: [ErrorResponseDto, ...extraModels] }),
  );
  if (duplicates.length > 0) {
    throw new Error(
      `OpenAPI: more than one DTO class is named ${[...new Set(duplicates)].join(', ')}; give each a unique name`,
    );
  }
  addCommonResponses(document);
  return document;
}

function addCommonResponses(document: OpenAPIObject): void {
  for (const item of Object.values(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const error = (description: string) => ({
        description,
        content: { 'application/json': { schema: ERROR_REF } },
      });
      operation.responses['503'] ??= error(
        'SERVICE_UNAVAILABLE: a dependency is down or the node is draining',
      );
      if (operation.requestBody) {
        operation.responses['400'] ??= error(
          'VALIDATION_FAILED: the body, query or a path parameter is invalid',
        );
        operation.responses['413'] ??= error('PAYLOAD_TOO_LARGE: the body is too large or nested too deep');
      }
    }
  }
}

/**
 * Runs `fn` with Nest's static logger watched: warnings `watch` claims are kept from the log (the
 * caller acts on them), everything else goes on to the logger in place.
 */
function withLoggerWatch<T>(watch: (message: string) => boolean, fn: () => T): T {
  const previous = (Logger as unknown as { staticInstanceRef?: LoggerService }).staticInstanceRef;
  const forward = previous ?? { log() {}, error() {}, warn() {} };
  Logger.overrideLogger({
    log: (message: unknown, ...rest: unknown[]) => {
      forward.log(message, ...rest);
    },
    error: (message: unknown, ...rest: unknown[]) => {
      forward.error(message, ...rest);
    },
    warn: (message: unknown, ...rest: unknown[]) => {
      if (!(typeof message === 'string' && watch(message))) forward.warn(message, ...rest);
    },
    debug: (message: unknown, ...rest: unknown[]) => {
      forward.debug?.(message, ...rest);
    },
    verbose: (message: unknown, ...rest: unknown[]) => {
      forward.verbose?.(message, ...rest);
    },
  });
  try {
    return fn();
  } finally {
    Logger.overrideLogger(previous ?? false);
  }
}
