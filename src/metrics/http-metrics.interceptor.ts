import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import { type Observable, tap } from 'rxjs';
import { MetricsService } from './metrics.service.js';

/** Times every HTTP request by its route pattern (not its path, which would explode label values). */
@Injectable()
export class HttpMetricsInterceptor implements NestInterceptor {
  constructor(private readonly metrics: MetricsService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const req = context.switchToHttp().getRequest<Request>();
    const res = context.switchToHttp().getResponse<Response>();
    const end = this.metrics.httpDuration.startTimer();
    const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
    const done = (status: number) => end({ method: req.method, route, status: String(status) });
    return next.handle().pipe(
      tap({
        next: () => done(res.statusCode),
        error: (error: { status?: number; getStatus?: () => number }) =>
          done(error.getStatus?.() ?? error.status ?? 500),
      }),
    );
  }
}
