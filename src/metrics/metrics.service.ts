import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { PresenceService } from '../messaging/presence.service.js';
import { MessageCreatedEvent } from '../messaging/events/message-created.event.js';

/** Prometheus metrics of this node (one registry per application instance). */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  readonly httpDuration = new Histogram({
    name: 'relay_http_request_duration_seconds',
    help: 'HTTP request duration by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  private readonly messages = new Counter({
    name: 'relay_messages_created_total',
    help: 'Messages stored, by conversation type',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  constructor(presence: PresenceService) {
    collectDefaultMetrics({ register: this.registry, prefix: 'relay_' });
    new Gauge({
      name: 'relay_sockets',
      help: 'Socket.IO connections on this node',
      registers: [this.registry],
      collect() {
        this.set(presence.localSocketCount());
      },
    });
  }

  @OnEvent(MessageCreatedEvent.event)
  onMessage(e: MessageCreatedEvent): void {
    this.messages.inc({ type: e.message.appId ? 'app' : 'user' });
  }
}
