import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DomainEventBus } from '../common/events/domain-events.js';
import { PushAttemptedEvent } from './events/push-attempted.event.js';
import { type ClaimedJob, JobQueue } from './job-queue.js';
import type { PushJob, WebhookJob } from './jobs.js';
import { PushSubscriptionsRepository } from './push-subscriptions.repository.js';
import { DeliveryProviders } from './providers/delivery-providers.js';
import type { PushOutcome } from './providers/push-provider.js';
import { WebhookProvider } from './providers/webhook.provider.js';

/**
 * Runs delivery jobs: `push` (one notification to one subscription) and `webhook`. A provider's
 * "gone" deletes the subscription; a refusal for good ends the job; anything worth retrying
 * throws, and the queue tries again later with the same job id (at least once, never silently
 * dropped before the last attempt).
 */
@Injectable()
export class PushDelivery implements OnModuleInit {
  private readonly logger = new Logger(PushDelivery.name);

  constructor(
    private readonly queue: JobQueue,
    private readonly providers: DeliveryProviders,
    private readonly subscriptions: PushSubscriptionsRepository,
    private readonly webhook: WebhookProvider,
    private readonly events: DomainEventBus,
  ) {}

  onModuleInit(): void {
    this.queue.consume<PushJob>('push', (job) => this.push(job));
    this.queue.consume<WebhookJob>('webhook', (job) => this.toWebhook(job));
  }

  private async push(job: ClaimedJob<PushJob>): Promise<void> {
    const subscription = await this.subscriptions.byId(job.data.subscriptionId);
    // Unsubscribed meanwhile, or the device now belongs to someone else: not theirs to read.
    if (!subscription || subscription.userId !== job.data.userId) return;
    const provider = this.providers.of(subscription.kind);
    const outcome = await this.attempt(subscription.kind, () =>
      provider.send(subscription, { ...job.data.notification, jobId: job.id }),
    );
    if (outcome === 'gone') await this.subscriptions.deleteGone(subscription.id, subscription.updatedAt);
    if (outcome === 'rejected') this.logger.warn(`${subscription.kind} refused job ${job.id} for good`);
  }

  private async toWebhook(job: ClaimedJob<WebhookJob>): Promise<void> {
    const { userId, notification } = job.data;
    await this.attempt('webhook', async () => {
      await this.webhook.send({
        jobId: job.id,
        userId,
        conversationId: notification.conversationId,
        messageId: notification.messageId,
        seq: notification.seq,
        count: notification.count,
        title: notification.title,
        body: notification.body,
      });
      return 'delivered';
    });
  }

  /** Times one attempt and reports it; errors go on to the queue (retried). */
  private async attempt(
    provider: PushAttemptedEvent['provider'],
    send: () => Promise<PushOutcome>,
  ): Promise<PushOutcome> {
    const started = process.hrtime.bigint();
    const seconds = (): number => Number(process.hrtime.bigint() - started) / 1e9;
    try {
      const outcome = await send();
      this.events.emit(PushAttemptedEvent.event, new PushAttemptedEvent(provider, outcome, seconds()));
      return outcome;
    } catch (error) {
      this.events.emit(PushAttemptedEvent.event, new PushAttemptedEvent(provider, 'failed', seconds()));
      throw error;
    }
  }
}
