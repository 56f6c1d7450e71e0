import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { OnDomainEvent } from '../common/events/domain-events.js';
import { PresenceService } from '../connections/presence.service.js';
import { MessageCreatedEvent } from '../messaging/events/message-created.event.js';
import { PushAttemptedEvent } from '../notifications/events/push-attempted.event.js';
import { JobQueue, QUEUES } from '../notifications/job-queue.js';

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

  private readonly pushDuration = new Histogram({
    name: 'relay_push_duration_seconds',
    help: 'Push provider and webhook request duration, by provider and outcome',
    labelNames: ['provider', 'outcome'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly pushFailures = new Counter({
    name: 'relay_push_failures_total',
    help: 'Push attempts that did not deliver, by provider and outcome (failed: retried; gone; rejected)',
    labelNames: ['provider', 'outcome'] as const,
    registers: [this.registry],
  });

  constructor(presence: PresenceService, jobs: JobQueue) {
    collectDefaultMetrics({ register: this.registry, prefix: 'relay_' });
    new Gauge({
      name: 'relay_sockets',
      help: 'Socket.IO connections on this node',
      registers: [this.registry],
      collect() {
        this.set(presence.localSocketCount());
      },
    });
    new Counter({
      name: 'relay_notification_jobs_finished_total',
      help: 'Notification jobs this node finished, by queue and outcome (retried: failed, tried again later)',
      labelNames: ['queue', 'outcome'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const queue of QUEUES) {
          const finished: Record<string, number> = jobs.finished[queue];
          for (const [outcome, n] of Object.entries(finished)) this.inc({ queue, outcome }, n);
        }
      },
    });
    new Gauge({
      name: 'relay_notification_jobs',
      help: 'Notification jobs waiting or running, by queue (notify, push, webhook) and state (created, retry, active)',
      labelNames: ['queue', 'state'] as const,
      registers: [this.registry],
      async collect() {
        const counts = await jobs.counts().catch(() => null);
        if (!counts) return;
        for (const queue of QUEUES)
          for (const [state, n] of Object.entries(counts[queue])) this.set({ queue, state }, n);
      },
    });
  }

  @OnDomainEvent(PushAttemptedEvent.event)
  onPush(e: PushAttemptedEvent): void {
    this.pushDuration.observe({ provider: e.provider, outcome: e.outcome }, e.seconds);
    if (e.outcome !== 'delivered') this.pushFailures.inc({ provider: e.provider, outcome: e.outcome });
  }

  @OnDomainEvent(MessageCreatedEvent.event)
  onMessage(e: MessageCreatedEvent): void {
    this.messages.inc({ type: e.message.appId ? 'app' : 'user' });
  }
}
