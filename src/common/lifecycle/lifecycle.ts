import { Injectable } from '@nestjs/common';
import { AppError } from '../errors/app-error.js';

/** How long a caller refused during a drain is asked to wait (another node takes it meanwhile). */
const DRAIN_RETRY_MS = 1000;

/**
 * Whether this node is draining (stopping): from the first moment of a shutdown, readiness fails,
 * new HTTP requests, socket handshakes and sends are refused SERVICE_UNAVAILABLE so that clients
 * go to another node, and what is in flight finishes.
 */
@Injectable()
export class Lifecycle {
  private since: number | null = null;
  private readonly settlers: ((budgetMs: number) => Promise<void>)[] = [];

  get draining(): boolean {
    return this.since !== null;
  }

  /** Starts draining (idempotent). */
  beginDrain(): void {
    this.since ??= Date.now();
  }

  /**
   * Work that must finish before a draining node drops its connections (sends already taken are
   * stored and acked), given at most the budget it is called with.
   */
  settleBeforeDisconnect(settle: (budgetMs: number) => Promise<void>): void {
    this.settlers.push(settle);
  }

  /** Runs every {@link settleBeforeDisconnect} task, together, within the budget. */
  async settle(budgetMs: number): Promise<void> {
    await Promise.allSettled(this.settlers.map((settle) => settle(budgetMs)));
  }

  /** Throws SERVICE_UNAVAILABLE while draining. */
  refuseWhileDraining(): void {
    if (this.since !== null) throw AppError.unavailable('This node is shutting down; retry', DRAIN_RETRY_MS);
  }
}
