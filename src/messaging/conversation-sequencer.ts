/** How long a message waits for an earlier seq of its conversation before it is delivered anyway. */
const GAP_TIMEOUT_MS = 1500;
/** A conversation this node has not seen lately starts after this short wait, so that a lower seq racing in still goes first. */
const WARM_UP_MS = 25;
const IDLE_FORGET_MS = 10 * 60_000;

interface Lane {
  next: number;
  pending: Map<number, () => void>;
  timer: NodeJS.Timeout | null;
  touched: number;
  /** First moments of a lane: collect, deliver nothing yet. */
  warming: boolean;
}

/**
 * Delivers each conversation's messages in seq order on this node. Concurrent sends commit in seq
 * order but their results can reach Node (and other nodes) out of order; a message that arrives
 * ahead of a missing seq is held until the gap fills, or for at most GAP_TIMEOUT_MS.
 */
export class ConversationSequencer {
  private readonly lanes = new Map<string, Lane>();
  private lastSweep = Date.now();

  push(conversationId: string, seq: number, deliver: () => void): void {
    const now = Date.now();
    this.sweep(now);
    let lane = this.lanes.get(conversationId);
    if (!lane) {
      lane = { next: seq, pending: new Map(), timer: null, touched: now, warming: seq > 1 };
      this.lanes.set(conversationId, lane);
      if (lane.warming) {
        const fresh = lane;
        fresh.timer = setTimeout(() => this.skipGap(fresh), WARM_UP_MS);
        fresh.timer.unref();
      }
    }
    lane.touched = now;
    if (lane.warming) {
      lane.pending.set(seq, deliver);
      return;
    }
    if (seq < lane.next) {
      deliver(); // Late (after a timeout skipped it) or a lane restarted mid-stream: never drop.
      return;
    }
    lane.pending.set(seq, deliver);
    this.drain(lane);
    if (lane.pending.size > 0 && !lane.timer) {
      lane.timer = setTimeout(() => this.skipGap(lane), GAP_TIMEOUT_MS);
      lane.timer.unref();
    }
  }

  private drain(lane: Lane): void {
    for (let deliver = lane.pending.get(lane.next); deliver; deliver = lane.pending.get(lane.next)) {
      lane.pending.delete(lane.next);
      lane.next += 1;
      deliver();
    }
    if (lane.pending.size === 0 && lane.timer) {
      clearTimeout(lane.timer);
      lane.timer = null;
    }
  }

  private skipGap(lane: Lane): void {
    lane.timer = null;
    lane.warming = false;
    if (lane.pending.size === 0) return;
    lane.next = Math.min(...lane.pending.keys());
    this.drain(lane);
    if (lane.pending.size > 0) {
      lane.timer = setTimeout(() => this.skipGap(lane), GAP_TIMEOUT_MS);
      lane.timer.unref();
    }
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < IDLE_FORGET_MS) return;
    this.lastSweep = now;
    for (const [id, lane] of this.lanes) {
      if (lane.pending.size === 0 && now - lane.touched > IDLE_FORGET_MS) this.lanes.delete(id);
    }
  }
}
