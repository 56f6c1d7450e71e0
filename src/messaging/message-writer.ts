import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { AppConfig } from '../common/config/app-config.js';
import { Lifecycle } from '../common/lifecycle/lifecycle.js';
import { AppError } from '../common/errors/app-error.js';
import { isDependencyUnavailable } from '../common/errors/dependency-errors.js';
import { isDataException, isForeignKeyViolation, isRetryableWriteConflict } from '../database/pg-errors.js';
import { type AppendOutcome, type MessageDraft, MessageStore } from './message.store.js';

/** Drafts per statement, at most (parameters are arrays, so this bounds statement size, not count). */
const MAX_BATCH = 1000;
/** A statement that lost a race (a concurrent retry, a deadlock) is run again this many times. */
const MAX_ATTEMPTS = 4;
const SAMPLE_MS = 250;

interface Waiting {
  draft: MessageDraft;
  /** performance.now() when it was queued. */
  since: number;
  resolve: (outcome: AppendOutcome) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for sends. Concurrent sends wait here for the batch in flight to finish and then go
 * together: many messages, one statement, one commit; each caller hears of its own message only
 * after that commit. Seq order within a conversation is the order in which sends arrived here.
 *
 * - A retry (same sender and clientMsgId) of a message still waiting or in flight shares the
 *   original's outcome instead of being written twice.
 * - One bad draft does not fail the batch: a failed batch is split in halves and retried until
 *   the failure is down to the draft that caused it (unless the database is down: then all fail).
 * - Admission is bounded: when the oldest pending send has waited longer than
 *   SEND_QUEUE_MAX_WAIT_MS, SEND_QUEUE_LIMIT sends are pending already, or the event loop is
 *   saturated, a send is refused at once (SERVICE_UNAVAILABLE with retryAfterMs) rather than
 *   queued without bound.
 */
@Injectable()
export class MessageWriter implements OnModuleDestroy {
  private readonly logger = new Logger(MessageWriter.name);
  private queue: Waiting[] = [];
  /** Sends waiting or being written, by `senderId:clientMsgId`, so that a retry joins its original. */
  private readonly pendingByKey = new Map<string, Promise<AppendOutcome>>();
  /**
   * The batch being written. One at a time (classic group commit): while it runs, the next one
   * gathers. Measured on two cores, more batches in flight meant smaller ones, and PostgreSQL's
   * cost per statement (planning the append, the commit) made every extra statement dearer than
   * the overlap it bought (docs/PERFORMANCE.md); one at a time also keeps a client's pipelined
   * sends in order.
   */
  private writing: Waiting[] | null = null;
  private scheduled = false;
  private loopDelayMs = 0;
  private readonly loopDelay: IntervalHistogram;
  private readonly sampler: NodeJS.Timeout;

  constructor(
    private readonly store: MessageStore,
    private readonly config: AppConfig,
    private readonly lifecycle: Lifecycle,
  ) {
    this.loopDelay = monitorEventLoopDelay({ resolution: 10 });
    this.loopDelay.enable();
    this.sampler = setInterval(() => {
      this.loopDelayMs = this.loopDelay.percentile(99) / 1e6;
      this.loopDelay.reset();
    }, SAMPLE_MS);
    this.sampler.unref();
    // A draining node stores and acks the sends it took before it drops its connections.
    lifecycle.settleBeforeDisconnect(async (budgetMs) => {
      if (!(await this.idle(budgetMs)))
        this.logger.warn({ pending: this.pending }, 'sends still in flight at shutdown');
    });
  }

  /** Sends waiting or being written on this node. */
  get pending(): number {
    return this.queue.length + (this.writing?.length ?? 0);
  }

  /** Stores one message with the next batch; resolves after the commit. */
  write(draft: MessageDraft): Promise<AppendOutcome> {
    const key = draft.senderId && draft.clientMsgId ? `${draft.senderId}:${draft.clientMsgId}` : null;
    const original = key ? this.pendingByKey.get(key) : undefined;
    if (original) {
      return original.then((o) => (o.kind === 'stored' ? { kind: 'duplicate', message: o.message } : o));
    }
    this.admit();
    const outcome = new Promise<AppendOutcome>((resolve, reject) => {
      this.queue.push({ draft, since: performance.now(), resolve, reject });
    });
    if (key) {
      this.pendingByKey.set(key, outcome);
      const forget = (): void => void this.pendingByKey.delete(key);
      outcome.then(forget, forget);
    }
    this.schedule();
    return outcome;
  }

  /** Resolves once nothing waits or is being written, or after `timeoutMs`; true when idle. */
  async idle(timeoutMs: number): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (this.pending > 0) {
      if (Date.now() >= until) return false;
      await new Promise((r) => setTimeout(r, 10));
    }
    return true;
  }

  onModuleDestroy(): void {
    clearInterval(this.sampler);
    this.loopDelay.disable();
  }

  /**
   * Refuses a send that would wait too long: the oldest send still waiting or in flight has been
   * there longer than SEND_QUEUE_MAX_WAIT_MS (so a new one would wait at least as long), or
   * SEND_QUEUE_LIMIT sends are pending already.
   */
  private admit(): void {
    // A draining node finishes what it holds and takes nothing new: the sender retries elsewhere.
    this.lifecycle.refuseWhileDraining();
    const { sendQueue, sendQueueMaxWaitMs } = this.config.limits;
    const oldest = this.writing?.[0] ?? this.queue[0];
    const waitedMs = oldest ? performance.now() - oldest.since : 0;
    if (this.pending >= sendQueue || waitedMs > sendQueueMaxWaitMs) {
      throw AppError.unavailable('Too many messages in flight; retry shortly', Math.max(waitedMs, 50));
    }
    // A saturated event loop delays every send as much as a long queue does.
    if (this.loopDelayMs > sendQueueMaxWaitMs) {
      throw AppError.unavailable('Server is overloaded; retry shortly', this.loopDelayMs);
    }
  }

  private schedule(): void {
    if (this.scheduled || this.writing) return;
    this.scheduled = true;
    // Let every send that arrived in this turn of the event loop join the batch.
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.writing || this.queue.length === 0) return;
    const batch = this.queue.splice(0, MAX_BATCH);
    this.writing = batch;
    void this.run(batch).finally(() => {
      this.writing = null;
      this.flush();
    });
  }

  /** Writes a batch; a failure is narrowed down by halves so that only the bad draft fails. */
  private async run(batch: Waiting[]): Promise<void> {
    let outcomes: AppendOutcome[];
    try {
      outcomes = await this.append(batch.map((w) => w.draft));
    } catch (error) {
      // A database that is down fails every draft alike: splitting would only ask it again.
      if (batch.length === 1 || isDependencyUnavailable(error)) {
        for (const w of batch) w.reject(this.refusal(error));
        return;
      }
      const half = batch.length >> 1;
      await this.run(batch.slice(0, half));
      await this.run(batch.slice(half));
      return;
    }
    batch.forEach((w, i) => w.resolve(outcomes[i]!));
  }

  private async append(drafts: MessageDraft[]): Promise<AppendOutcome[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.store.append(drafts);
      } catch (error) {
        // A retry's original committed concurrently, or two nodes' batches crossed: run it again.
        if (attempt >= MAX_ATTEMPTS || !isRetryableWriteConflict(error)) throw error;
      }
    }
  }

  private refusal(error: unknown): unknown {
    if (isForeignKeyViolation(error)) {
      return AppError.validation('An attachment of the message no longer exists', {
        fields: [{ field: 'attachments', problems: ['unknown attachment id'] }],
      });
    }
    if (isDataException(error)) {
      return AppError.validation('The message contains data that cannot be stored', {
        fields: [{ field: 'body', problems: ['cannot be stored'] }],
      });
    }
    return error;
  }
}
