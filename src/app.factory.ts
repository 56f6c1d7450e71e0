import { type INestApplication, RequestMethod } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import { AppModule, type AppOptions } from './app.module.js';
import { type AppConfig } from './common/config/app-config.js';
import { setupDocs } from './contract/docs.js';
import { checkSocketContract } from './contract/socket-contract.js';
import { AppError } from './common/errors/app-error.js';
import { createValidationPipe } from './common/errors/validation.js';
import { Lifecycle } from './common/lifecycle/lifecycle.js';
import { originAllowed } from './common/http/origins.js';
import { httpLogger, PinoLoggerService } from './common/logging.js';
import { jsonNestsDeeper, tooDeep } from './common/validation/input-shape.js';
import { RelayIoAdapter } from './connections/socket-io.adapter.js';
import { SocketRouter } from './realtime/socket-router.js';

export const API_PREFIX = 'api/v1';
const JSON_BODY_LIMIT = '256kb';
/** Served while draining too: the load balancer and the scraper need them to the end. */
const ALWAYS_SERVED = new Set(['/healthz', '/readyz', '/metrics']);

/** `/api/v1` before every route but health, metrics and the invite page (also for the documents). */
export function applyGlobalPrefix(app: INestApplication): void {
  app.setGlobalPrefix(API_PREFIX, {
    exclude: ['healthz', 'readyz', 'metrics', { path: 'invite/:code', method: RequestMethod.GET }],
  });
}

/** Builds the whole application (HTTP, docs, validation, errors) without listening. */
export async function createApp(
  config: AppConfig,
  options: AppOptions = {},
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, options), {
    bufferLogs: true,
    bodyParser: false,
  });
  const logger = app.get(PinoLoggerService);
  app.useLogger(logger);
  // One line per request, every request (refusals and unknown paths included).
  app.use(httpLogger(logger.pino));
  app.set('trust proxy', config.trustProxy);
  app.disable('x-powered-by');
  // Security headers on every response; Swagger UI's own files and inline styles stay allowed.
  app.use(helmet());
  // A draining node takes no new requests (but health and metrics): the client goes elsewhere.
  const lifecycle = app.get(Lifecycle);
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (ALWAYS_SERVED.has(req.path)) return next();
    try {
      lifecycle.refuseWhileDraining();
      next();
    } catch (refusal) {
      res.setHeader('Connection', 'close');
      next(refusal); // Answered by the exception filter, as every error is.
    }
  });
  // Express's own JSON parser, so that its `verify` (which Nest reserves for rawBody) can refuse a
  // body nested too deep from its raw bytes, before JSON.parse does any work; it keeps the raw
  // body for signed requests itself.
  app.use(
    express.json({
      limit: JSON_BODY_LIMIT,
      verify: (req: Request & { rawBody?: Buffer }, _res, raw: Buffer) => {
        if (jsonNestsDeeper(raw)) throw tooDeep();
        req.rawBody = raw;
      },
    }),
  );
  applyGlobalPrefix(app);
  app.useGlobalPipes(createValidationPipe());
  app.useWebSocketAdapter(new RelayIoAdapter(app));
  app.enableCors({
    origin: (origin, callback) => callback(null, origin === undefined || originAllowed(config, origin)),
    exposedHeaders: ['Retry-After', 'X-Request-Id', 'ETag', 'Content-Range'],
    maxAge: 600,
  });

  setupDocs(app);
  await app.init();
  checkSocketContract(app.get(SocketRouter).events());
  // Last in line: a path outside the API prefix that nothing serves gets the JSON error shape too
  // (not Express's HTML page).
  app.use((req: Request, res: Response) => {
    const error = new AppError('NOT_FOUND', `Cannot ${req.method} ${req.path.slice(0, 200)}`);
    res.status(error.status).json({ statusCode: error.status, ...error.toBody() });
  });
  return app;
}
