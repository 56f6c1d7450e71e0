import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppsService } from '../apps/apps.service.js';
import { InboxService } from '../messaging/inbox.service.js';
import { MessageStore } from '../messaging/message.store.js';
import type { UnreadSummary } from '../messaging/conversations.repository.js';
import { BlocksService } from '../users/blocks.service.js';
import { UsersService } from '../users/users.service.js';
import { ActiveUsers } from './active-users.js';
import { JobQueue, type NewJob } from './job-queue.js';
import type { NotifyJob } from './notification-planner.js';
import { NotificationStateRepository, type Settings } from './notification-state.repository.js';
import { PushSubscriptionsRepository } from './push-subscriptions.repository.js';
import type { PushContent } from './providers/push-provider.js';
import { WebhookProvider } from './providers/webhook.provider.js';
import { DeliveryProviders } from './push-delivery.js';

/** A notification as decided, before a delivery job gives it its id. */
export type Notification = Omit<PushContent, 'jobId'>;

/** A `push` job: one notification to one subscription. */
export interface PushJob {
  subscriptionId: string;
  notification: Notification;
}

/** A `webhook` job: one notification to the webhook. */
export interface WebhookJob {
  userId: string;
  notification: Notification;
}

const PREVIEW_CHARS = 100;

/**
 * Runs `notify` jobs when a window closes: decides from the database whether and what to tell
 * the user, then adds one delivery job per subscription (and one for the webhook) in the
 * transaction that moves the user's notification mark, so a window is told once even when its job
 * runs twice.
 */
@Injectable()
export class NotificationDecider implements OnModuleInit {
  constructor(
    private readonly db: DataSource,
    private readonly queue: JobQueue,
    private readonly state: NotificationStateRepository,
    private readonly subscriptions: PushSubscriptionsRepository,
    private readonly inbox: InboxService,
    private readonly messages: MessageStore,
    private readonly users: UsersService,
    private readonly blocks: BlocksService,
    private readonly apps: AppsService,
    private readonly active: ActiveUsers,
    private readonly providers: DeliveryProviders,
    private readonly webhook: WebhookProvider,
  ) {}

  onModuleInit(): void {
    this.queue.consume<NotifyJob>('notify', (job) => this.decide(job.data));
  }

  async decide({ userId, conversationId }: NotifyJob): Promise<void> {
    const from = await this.state.notifiedSeq(userId, conversationId);
    const summary = await this.inbox.unreadSummary(userId, conversationId, from);
    if (!summary || summary.senders.length === 0) return;
    const covered = Math.max(...summary.senders.map((s) => s.lastSeq));
    const settings = await this.state.settings(userId);
    const told = (await this.silenced(userId, summary, settings))
      ? []
      : await this.audible(userId, summary.senders);
    const notification = told.length > 0 ? await this.compose(summary, told, settings) : null;
    const jobs: NewJob<PushJob | WebhookJob>[] = [];
    if (notification) {
      for (const s of await this.subscriptions.ofUser(userId)) {
        if (this.providers.configured(s.kind))
          jobs.push({ queue: 'push', data: { subscriptionId: s.id, notification } });
      }
      if (this.webhook.configured) jobs.push({ queue: 'webhook', data: { userId, notification } });
    }
    const moved = await this.db.transaction(async (tx) => {
      if (!(await this.state.advance(tx, userId, conversationId, from, covered))) return false;
      await this.queue.add(jobs, tx);
      return true;
    });
    if (moved) for (const queue of new Set(jobs.map((j) => j.queue))) this.queue.wake(queue);
  }

  /** Nothing at all: the conversation is muted, the user is in do-not-disturb, or watching. */
  private async silenced(userId: string, summary: UnreadSummary, settings: Settings): Promise<boolean> {
    if (summary.muted) return true;
    if (settings.doNotDisturbUntil && settings.doNotDisturbUntil.getTime() > Date.now()) return true;
    return (await this.active.among([userId])).has(userId);
  }

  /** The senders the user wants to hear from: not blocked (either way), not an app they muted. */
  private async audible(
    userId: string,
    senders: UnreadSummary['senders'],
  ): Promise<UnreadSummary['senders']> {
    const out: UnreadSummary['senders'] = [];
    for (const s of senders) {
      if (s.senderId && (await this.blocks.isBlockedEitherWay(userId, s.senderId))) continue;
      if (s.appId && (await this.apps.isMuted(userId, s.appId))) continue;
      out.push(s);
    }
    return out;
  }

  private async compose(
    summary: UnreadSummary,
    told: UnreadSummary['senders'],
    settings: Settings,
  ): Promise<Notification | null> {
    const seq = Math.max(...told.map((s) => s.lastSeq));
    const [latest] = await this.messages.range(summary.ref.id, { afterSeq: seq - 1, limit: 1 });
    if (!latest || latest.seq !== seq) return null;
    const sender = latest.senderId ? (await this.users.findMany([latest.senderId]))[0] : undefined;
    const title =
      (summary.ref.type === 'direct' ? sender?.displayName : (summary.title ?? sender?.displayName)) ??
      'Relay';
    return {
      type: 'message',
      conversationId: summary.ref.id,
      messageId: latest.id,
      seq,
      count: told.reduce((n, s) => n + s.count, 0),
      title,
      body: settings.showPreviews ? preview(latest.body, latest.attachments.length) : 'New message',
    };
  }
}

/** At most 100 characters (code points) of the text, or what the message carries. */
export function preview(body: string, attachments: number): string {
  const text = body.replace(/\s+/g, ' ').trim();
  if (!text)
    return attachments > 0
      ? attachments === 1
        ? 'Sent an attachment'
        : `Sent ${attachments} attachments`
      : 'New message';
  const chars = [...text];
  return chars.length <= PREVIEW_CHARS ? text : `${chars.slice(0, PREVIEW_CHARS - 1).join('')}…`;
}
