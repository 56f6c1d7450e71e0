import { type DynamicModule, Global, Injectable, type LoggerService, Module } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pino, type Logger as Pino } from 'pino';
import { pinoHttp } from 'pino-http';
import { AppConfig } from './config/app-config.js';

const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);
const REQUEST_ID = /^[A-Za-z0-9_.:-]{1,64}$/;
const STACK_LINE = /\n\s+at /;
/** Nest's start-up chatter (every module, every route): debug, so that start-up says what matters. */
const FRAMEWORK_CHATTER = new Set([
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'WebSocketsController',
]);

/**
 * The process's one pino logger. Written synchronously on the main thread (pretty output in an
 * interactive terminal in development, JSON lines otherwise), so that lines appear in the order
 * they were logged: the start-up banner is the last thing start-up prints.
 */
export async function createRootLogger(config: AppConfig, interactive: boolean): Promise<Pino> {
  const options = {
    level: config.logLevel,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'req.headers["x-app-key"]',
        'req.headers["x-service-key"]',
        'req.headers["x-signature"]',
        'res.headers["set-cookie"]',
      ],
      censor: '[redacted]',
    },
  };
  if (interactive && !config.isProduction) {
    // A development tool, loaded only where it is used (production installs leave it out).
    const { default: pretty } = await import('pino-pretty');
    return pino(options, pretty({ sync: true, singleLine: true, translateTime: 'SYS:HH:MM:ss.l' }));
  }
  return pino(options, pino.destination({ fd: 1, sync: true }));
}

/**
 * Nest's logger interface on pino: `new Logger(Context).warn({fields}, 'message')` and
 * `.log('message')` become one pino line with `context` (Nest appends the context as the last
 * argument), objects merged as fields, an Error (or a stack string) as `err`.
 */
@Injectable()
export class PinoLoggerService implements LoggerService {
  constructor(readonly pino: Pino) {}

  log(message: unknown, ...params: unknown[]): void {
    const context = params.at(-1);
    this.write(
      typeof context === 'string' && FRAMEWORK_CHATTER.has(context) ? 'debug' : 'info',
      message,
      params,
    );
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: pino.Level, message: unknown, params: unknown[]): void {
    if (!this.pino.isLevelEnabled(level)) return;
    const rest = [...params];
    const context = rest.length > 0 && typeof rest.at(-1) === 'string' ? (rest.pop() as string) : undefined;
    const fields: Record<string, unknown> = context ? { context } : {};
    const stack = rest.findIndex((p) => typeof p === 'string' && STACK_LINE.test(p));
    if (stack >= 0) fields.err = { stack: rest.splice(stack, 1)[0] };
    if (message instanceof Error) {
      this.pino[level]({ ...fields, err: message }, message.message);
    } else if (message !== null && typeof message === 'object') {
      this.pino[level]({ ...fields, ...message }, ...(rest.filter((p) => typeof p === 'string') as [string]));
    } else {
      this.pino[level](fields, String(message));
    }
  }
}

/**
 * pino-http on the root logger: one JSON line per request with a request id (taken from
 * X-Request-Id when sane, echoed back), credentials redacted, bodies never logged.
 */
export function httpLogger(root: Pino) {
  return pinoHttp({
    logger: root,
    genReqId: (req: IncomingMessage, res: ServerResponse) => {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    serializers: {
      req: (req: { id: string; method: string; url: string }) => ({
        id: req.id,
        method: req.method,
        path: req.url.split('?')[0],
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    autoLogging: { ignore: (req: IncomingMessage) => QUIET_PATHS.has((req.url ?? '').split('?')[0] ?? '') },
    customLogLevel: (_req: IncomingMessage, res: ServerResponse, err?: Error) =>
      err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
  });
}

/** The logger every part of Relay uses (through Nest's `Logger`); `createApp` adds the request log. */
@Global()
@Module({})
export class LoggingModule {
  static forRoot(interactive: boolean): DynamicModule {
    return {
      module: LoggingModule,
      providers: [
        {
          provide: PinoLoggerService,
          inject: [AppConfig],
          useFactory: async (config: AppConfig) =>
            new PinoLoggerService(await createRootLogger(config, interactive)),
        },
      ],
      exports: [PinoLoggerService],
    };
  }
}
