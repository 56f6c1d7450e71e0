import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../common/config/app-config.js';
import { OnDomainEvent } from '../common/events/domain-events.js';
import { MessageCreatedEvent } from '../messaging/events/message-created.event.js';
import { ActiveUsers } from './active-users.js';
import { JobQueue, type NewJob } from './job-queue.js';
import type { NotifyJob } from './jobs.js';

/** Messages waiting for the next plan, at most; past it the oldest are dropped (with a warning). */
const MAX_PENDING = 50_000;

/**
 * Opens notification windows. It listens to every committed message, off the send path: messages
 * are gathered per tick; recipients with an active session on this node are passed over (from
 * memory, no round trip), and for each other (user, conversation) without an open window one
 * durable `notify` job is added, due when the window (NOTIFY_DELAY_MS) closes. Users on other
 * nodes are looked up then, once per window rather than once per message. The decision itself
 * (muted? read meanwhile? which messages?) is made by that job, from the database.
 */
@Injectable()
export class NotificationPlanner implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(NotificationPlanner.name);
  private pending: MessageCreatedEvent[] = [];
  private running: Promise<void> | null = null;
  /** `userId:conversationId` → when this node's window for it closes. */
  private readonly windows = new Map<string, number>();
  private sweeper: NodeJS.Timeout | null = null;

  constructor(
    private readonly active: ActiveUsers,
    private readonly queue: JobQueue,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.sweeper = setInterval(() => this.sweep(), Math.max(1000, this.config.notifications.delayMs));
    this.sweeper.unref();
  }

  onApplicationShutdown(): void {
    if (this.sweeper) clearInterval(this.sweeper);
  }

  @OnDomainEvent(MessageCreatedEvent.event)
  onMessage(event: MessageCreatedEvent): void {
    if (!event.memberIds.some((id) => id !== event.message.senderId)) return;
    if (this.pending.length >= MAX_PENDING) {
      this.pending.shift();
      this.logger.warn('Notification planning is behind; a message was left without notifications');
    }
    this.pending.push(event);
    this.running ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.drain());
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch = this.pending;
        this.pending = [];
        await this.plan(batch).catch((error: Error) =>
          this.logger.warn(`Planning notifications failed: ${error.message}`),
        );
      }
    } finally {
      this.running = null;
    }
  }

  private async plan(batch: MessageCreatedEvent[]): Promise<void> {
    const now = Date.now();
    const pairs = new Map<string, NotifyJob>();
    for (const { message, memberIds } of batch) {
      for (const userId of memberIds) {
        if (userId === message.senderId) continue;
        const key = `${userId}:${message.conversationId}`;
        if ((this.windows.get(key) ?? 0) > now) continue;
        pairs.set(key, { userId, conversationId: message.conversationId });
      }
    }
    if (pairs.size === 0) return;
    // Users active on this node need no window; the others are decided when theirs closes.
    const active = await this.active.here([...new Set([...pairs.values()].map((p) => p.userId))]);
    const closesAt = Date.now() + this.config.notifications.delayMs;
    const jobs: NewJob<NotifyJob>[] = [];
    for (const [key, pair] of pairs) {
      if (active.has(pair.userId)) continue;
      this.windows.set(key, closesAt);
      jobs.push({ queue: 'notify', data: pair, startAfter: new Date(closesAt), singletonKey: key });
    }
    try {
      await this.queue.add(jobs);
      if (jobs.length > 0) this.queue.wakeAt('notify', new Date(closesAt));
    } catch (error) {
      // No job, no window: the next message tries again.
      for (const job of jobs) this.windows.delete(job.singletonKey!);
      throw error;
    }
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, closesAt] of this.windows) if (closesAt <= now) this.windows.delete(key);
  }
}
