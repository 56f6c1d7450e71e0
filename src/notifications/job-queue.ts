import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import PgBoss from 'pg-boss';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { AppConfig } from '../common/config/app-config.js';
import { underStartupLock } from '../database/data-source.js';
import { type Db, queryRows } from '../database/sql.js';

/** The queues of notifications: deciding a window, and delivering to one push target or the webhook. */
export const QUEUES = ['notify', 'push', 'webhook'] as const;
export type QueueName = (typeof QUEUES)[number];

export interface NewJob<T extends object> {
  queue: QueueName;
  data: T;
  /** Not before this time. */
  startAfter?: Date;
  /** At most one waiting job per key (the `notify` queue coalesces windows with it). */
  singletonKey?: string;
}

export interface ClaimedJob<T> {
  id: string;
  data: T;
  /** 1 on the first try. */
  attempt: number;
}

/** Jobs waiting or running, by queue and state. */
export type JobCounts = Record<QueueName, Record<'created' | 'retry' | 'active', number>>;

/** Jobs this node finished, by queue and how (retried: failed, to be tried again). */
export type FinishedCounts = Record<QueueName, Record<'completed' | 'retried' | 'failed', number>>;

/**
 * How often an idle consumer looks for due jobs. Jobs this node adds wake its consumers at once
 * (and windows at their close), so polling is what notices other nodes' jobs and retries.
 */
const POLL_MS = 2000;
const BATCH = 50;
/** A job is due when its start time is past in the database's clock: wake a little after it. */
const WAKE_MARGIN_MS = 50;
/** Deliveries of one batch in flight at once: the work of a burst of windows is spread, not piled up. */
const CONCURRENCY = 8;

/** Runs `fn` over the items, at most `limit` at a time; the outcomes in the items' order. */
async function settledWithin<T>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<PromiseSettledResult<void>[]> {
  const out = new Array<PromiseSettledResult<void>>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!).then(
        (): PromiseFulfilledResult<void> => ({ status: 'fulfilled', value: undefined }),
        (reason: unknown): PromiseRejectedResult => ({ status: 'rejected', reason }),
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}

/**
 * Durable jobs in PostgreSQL through pg-boss: they survive restarts, a job claimed by a process
 * that died is tried again after `NOTIFY_JOB_TIMEOUT_SECONDS`, failures are retried with
 * exponential backoff and jitter up to `NOTIFY_MAX_ATTEMPTS`, and a job keeps its id across tries
 * (receivers can de-duplicate on it). pg-boss runs its SQL through Relay's own pool, so on embedded
 * PGlite it shares the single session like every other statement.
 */
@Injectable()
export class JobQueue implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(JobQueue.name);
  private boss: PgBoss | null = null;
  private readonly loops: Promise<void>[] = [];
  private readonly wakers = new Map<QueueName, () => void>();
  private stopping = false;
  private readonly done = Object.fromEntries(
    QUEUES.map((q) => [q, { completed: 0, retried: 0, failed: 0 }]),
  ) as FinishedCounts;

  constructor(
    private readonly db: DataSource,
    private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    const pool = (this.db.driver as PostgresDriver).master as Pool;
    const { maxAttempts, retryDelaySeconds, jobTimeoutSeconds } = this.config.notifications;
    const boss = new PgBoss({
      db: { executeSql: (text, values) => pool.query(text, values) },
      schema: 'pgboss',
      schedule: false,
      supervise: true,
      // Claimed jobs of a process that died become due again one timeout after they were claimed.
      maintenanceIntervalSeconds: Math.max(1, Math.min(60, Math.floor(jobTimeoutSeconds / 2))),
      expireInSeconds: jobTimeoutSeconds,
      retryLimit: maxAttempts - 1,
      retryDelay: retryDelaySeconds,
      retryBackoff: true,
      retentionDays: 1,
      archiveCompletedAfterSeconds: 900,
      deleteAfterDays: 1,
    });
    boss.on('error', (error: Error) => this.logger.warn(`job queue: ${error.message}`));
    // pg-boss creates its schema on first start; nodes starting together must not race to it.
    await underStartupLock(this.db, async () => {
      await boss.start();
      for (const name of QUEUES) {
        await boss.createQueue(name, { name, policy: name === 'notify' ? 'short' : 'standard' });
      }
    });
    this.boss = boss;
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    for (const wake of this.wakers.values()) wake();
    await Promise.all(this.loops);
    await this.boss?.stop({ graceful: false, close: false, wait: true });
    this.boss = null;
  }

  /** Adds jobs in one statement; `db` is a transaction to add them in (they exist once it commits). */
  async add(jobs: NewJob<object>[], db?: Db): Promise<void> {
    if (jobs.length === 0) return;
    const boss = this.started();
    await boss.insert(
      jobs.map((j) => ({
        name: j.queue,
        data: j.data,
        ...(j.startAfter ? { startAfter: j.startAfter.toISOString() } : {}),
        ...(j.singletonKey ? { singletonKey: j.singletonKey } : {}),
      })),
      db ? { db: { executeSql: async (text, values) => ({ rows: await queryRows(db, text, values) }) } } : {},
    );
    if (!db)
      for (const queue of new Set(jobs.filter((j) => !j.startAfter).map((j) => j.queue))) this.wake(queue);
  }

  /** Wakes a queue's consumer on this node (jobs were added that are due now). */
  wake(queue: QueueName): void {
    this.wakers.get(queue)?.();
  }

  /**
   * Runs `handle` for every due job of a queue, a batch at a time, until the module stops. A job
   * whose handler resolves is completed; one that throws is retried later, or fails for good after
   * its last attempt.
   */
  consume<T>(queue: QueueName, handle: (job: ClaimedJob<T>) => Promise<void>): void {
    this.loops.push(
      this.loop<T>(queue, async (jobs) => {
        const outcomes = await settledWithin(jobs, CONCURRENCY, handle);
        const done = jobs.filter((_, i) => outcomes[i]!.status === 'fulfilled');
        await this.settle(queue, done, () => Promise.resolve());
        const failed = outcomes.flatMap((o, i) =>
          o.status === 'rejected' ? [{ job: jobs[i]!, error: o.reason as unknown }] : [],
        );
        for (const { job, error } of failed)
          await this.settle(queue, [job], () => Promise.reject(error as Error));
      }),
    );
  }

  /**
   * Like {@link consume}, but `handle` takes a whole batch (set-based work): the batch is completed
   * together, or on an error tried again together (the handler must be idempotent).
   */
  consumeBatch<T>(queue: QueueName, handle: (jobs: ClaimedJob<T>[]) => Promise<void>): void {
    this.loops.push(this.loop<T>(queue, (jobs) => this.settle(queue, jobs, () => handle(jobs))));
  }

  /** Jobs waiting or running, by queue and state (finished ones are not scanned). */
  async counts(): Promise<JobCounts> {
    const rows = await queryRows<{ name: string; state: string; n: number }>(
      this.db,
      `SELECT name, state::text AS state, count(*)::int AS n FROM pgboss.job
        WHERE state < 'completed' GROUP BY name, state`,
    );
    const out = {} as JobCounts;
    for (const name of QUEUES) out[name] = { created: 0, retry: 0, active: 0 };
    for (const r of rows) {
      const queue = out[r.name as QueueName] as Record<string, number> | undefined;
      if (queue && r.state in queue) queue[r.state] = r.n;
    }
    return out;
  }

  /** Jobs this node finished since it started. */
  get finished(): FinishedCounts {
    return this.done;
  }

  /** Wakes a queue's consumer at a time (a window closing), unless the node stops first. */
  wakeAt(queue: QueueName, at: Date): void {
    const timer = setTimeout(() => this.wake(queue), Math.max(0, at.getTime() - Date.now()) + WAKE_MARGIN_MS);
    timer.unref();
  }

  private async loop<T>(queue: QueueName, run: (jobs: ClaimedJob<T>[]) => Promise<void>): Promise<void> {
    while (!this.stopping) {
      let claimed = 0;
      try {
        const jobs =
          (await this.started().fetch<T>(queue, { batchSize: BATCH, includeMetadata: true })) ?? [];
        claimed = jobs.length;
        if (claimed > 0) await run(jobs.map((j) => ({ id: j.id, data: j.data, attempt: j.retryCount + 1 })));
      } catch (error) {
        this.logger.warn(`job queue ${queue}: ${(error as Error).message}`);
      }
      // A full batch: more are due; let the node's other work (sends) go first, then go on.
      if (claimed < BATCH) await this.pause(queue);
      else await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Runs the work of claimed jobs, then completes them, or fails them (to be retried) on an error. */
  private async settle<T>(queue: QueueName, jobs: ClaimedJob<T>[], work: () => Promise<void>): Promise<void> {
    if (jobs.length === 0) return;
    const boss = this.started();
    const ids = jobs.map((j) => j.id);
    try {
      await work();
      await boss.complete(queue, ids);
      this.done[queue].completed += ids.length;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      await Promise.all(ids.map((id) => boss.fail(queue, id, { message }))).catch((e: Error) =>
        this.logger.warn(e.message),
      );
      for (const job of jobs)
        this.done[queue][job.attempt >= this.config.notifications.maxAttempts ? 'failed' : 'retried']++;
    }
  }

  /** Waits for the poll interval, or less when woken. */
  private pause(queue: QueueName): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, POLL_MS);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakers.set(queue, done);
    });
  }

  private started(): PgBoss {
    if (!this.boss) throw new Error('The job queue is not running');
    return this.boss;
  }
}
