import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppsService } from '../apps/apps.service.js';
import { InboxService } from '../messaging/inbox.service.js';
import { MessageStore } from '../messaging/message.store.js';
import type { UnreadSummary } from '../messaging/inbox.repository.js';
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
  /** Whose notification it is (the subscription may change hands before it is sent). */
  userId: string;
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
    this.queue.consumeBatch<NotifyJob>('notify', (jobs) => this.decide(jobs.map((j) => j.data)));
  }

  /**
   * Decides a batch of closed windows with one query per kind of fact (marks, unread messages,
   * settings, presence, blocks, application mutes, latest messages, sender names, subscriptions),
   * then moves the marks and adds the deliveries in one transaction.
   */
  async decide(windows: NotifyJob[]): Promise<void> {
    const pairs = [...new Map(windows.map((w) => [`${w.userId}:${w.conversationId}`, w])).values()];
    const marks = await this.state.marksOf(pairs);
    const markOf = (userId: string, conversationId: string): number =>
      marks.get(`${userId}:${conversationId}`) ?? 0;
    const summaries = (
      await this.inbox.unreadSummaries(
        pairs.map((p) => ({ ...p, afterSeq: markOf(p.userId, p.conversationId) })),
      )
    ).filter((s) => s.senders.length > 0);
    if (summaries.length === 0) return;
    const userIds = [...new Set(summaries.map((s) => s.userId))];
    const [settings, active, blocked, mutedApps] = await Promise.all([
      this.state.settingsOf(userIds),
      this.active.among(userIds),
      this.blocks.blockedAmong(
        summaries.flatMap((s) =>
          s.senders.flatMap((x) => (x.senderId ? [[s.userId, x.senderId] as [string, string]] : [])),
        ),
      ),
      this.apps.mutedPairs(
        summaries.flatMap((s) =>
          s.senders.flatMap((x) => (x.appId ? [{ userId: s.userId, appId: x.appId }] : [])),
        ),
      ),
    ]);
    const now = Date.now();
    const told = summaries.map((summary) => {
      const mine = settings.get(summary.userId)!;
      const silenced =
        summary.muted || (mine.doNotDisturbUntil?.getTime() ?? 0) > now || active.has(summary.userId);
      const audible = silenced
        ? []
        : summary.senders.filter(
            (s) =>
              !(s.senderId && blocked.has(`${summary.userId}:${s.senderId}`)) &&
              !(s.appId && mutedApps.has(`${summary.userId}:${s.appId}`)),
          );
      return { summary, settings: mine, audible, seq: Math.max(0, ...audible.map((s) => s.lastSeq)) };
    });
    const notifications = await this.compose(told.filter((t) => t.audible.length > 0));
    const subscriptions = await this.subscriptions.ofUsers([
      ...new Set([...notifications.keys()].map((k) => k.split(':')[0]!)),
    ]);
    const jobs: NewJob<PushJob | WebhookJob>[] = [];
    for (const [key, notification] of notifications) {
      const userId = key.split(':')[0]!;
      for (const s of subscriptions) {
        if (s.userId === userId && this.providers.configured(s.kind))
          jobs.push({ queue: 'push', data: { subscriptionId: s.id, userId, notification } });
      }
      if (this.webhook.configured) jobs.push({ queue: 'webhook', data: { userId, notification } });
    }
    const moves = told.map(({ summary }) => ({
      userId: summary.userId,
      conversationId: summary.ref.id,
      from: markOf(summary.userId, summary.ref.id),
      to: Math.max(...summary.senders.map((s) => s.lastSeq)),
    }));
    await this.db.transaction(async (tx) => {
      const moved = await this.state.advanceAll(tx, moves);
      // A window another job told meanwhile is given up with its deliveries.
      await this.queue.add(
        jobs.filter((j) => moved.has(`${j.data.userId}:${j.data.notification.conversationId}`)),
        tx,
      );
    });
    for (const queue of new Set(jobs.map((j) => j.queue))) this.queue.wake(queue);
  }

  /** The notification of each window worth telling, keyed `userId:conversationId`. */
  private async compose(
    windows: { summary: UnreadSummary; settings: Settings; audible: UnreadSummary['senders']; seq: number }[],
  ): Promise<Map<string, Notification>> {
    const latest = new Map(
      (
        await this.messages.atSeqs(windows.map((w) => ({ conversationId: w.summary.ref.id, seq: w.seq })))
      ).map((m) => [`${m.conversationId}:${m.seq}`, m]),
    );
    const senderIds = [...new Set([...latest.values()].flatMap((m) => (m.senderId ? [m.senderId] : [])))];
    const names = new Map((await this.users.findMany(senderIds)).map((u) => [u.id, u.displayName]));
    const out = new Map<string, Notification>();
    for (const { summary, settings, audible, seq } of windows) {
      const message = latest.get(`${summary.ref.id}:${seq}`);
      if (!message) continue;
      const sender = message.senderId ? names.get(message.senderId) : undefined;
      out.set(`${summary.userId}:${summary.ref.id}`, {
        type: 'message',
        conversationId: summary.ref.id,
        messageId: message.id,
        seq,
        count: audible.reduce((n, s) => n + s.count, 0),
        title: (summary.ref.type === 'direct' ? sender : (summary.title ?? sender)) ?? 'Relay',
        body: settings.showPreviews ? preview(message.body, message.attachments.length) : 'New message',
      });
    }
    return out;
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
