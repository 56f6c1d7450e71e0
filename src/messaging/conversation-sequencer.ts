/** How long a message waits for an earlier seq of its conversation before the gap is recovered. */
const GAP_TIMEOUT_MS = 1500;
/** A conversation this node has not seen lately starts after this short wait, so that a lower seq racing in still goes first. */
const WARM_UP_MS = 25;
const IDLE_FORGET_MS = 10 * 60_000;
/** Seqs recovered from the database for one gap, at most. */
const MAX_RECOVERED = 500;

/**
 * Fetches the messages at seqs `from..to` of a conversation from where they are stored, as
 * deliveries by seq (a seq it cannot find is left out).
 */
export type GapRecovery = (
  conversationId: string,
  from: number,
  to: number,
) => Promise<Map<number, () => void>>;

interface Lane {
  conversationId: string;
  /** The first seq this lane delivered in order; anything lower predates the lane. */
  start: number;
  next: number;
  pending: Map<number, () => void>;
  /** Seqs passed over without delivery (recovery failed): delivered if they turn up late. */
  skipped: Set<number>;
  timer: NodeJS.Timeout | null;
  touched: number;
  /** First moments of a lane: collect, deliver nothing yet. */
  warming: boolean;
  recovering: boolean;
}

/**
 * Delivers each conversation's messages in seq order on this node, exactly once. Concurrent sends
 * commit in seq order but their announcements can reach this node out of order (from several
 * nodes, or from a node that stalled between its commit and its publish, or died there): a
 * message that arrives ahead of a missing seq is held until the gap fills. After GAP_TIMEOUT_MS
 * the missing seqs are recovered from the database (a later seq being committed means the earlier
 * ones are) and delivered in order; their own announcement, when it comes at last, is dropped.
 * Only when recovery fails are the held messages delivered without the missing ones.
 */
export class ConversationSequencer {
  private readonly lanes = new Map<string, Lane>();
  private lastSweep = Date.now();

  constructor(private readonly recover: GapRecovery) {}

  push(conversationId: string, seq: number, deliver: () => void): void {
    const now = Date.now();
    this.sweep(now);
    let lane = this.lanes.get(conversationId);
    if (!lane) {
      lane = {
        conversationId,
        start: seq,
        next: seq,
        pending: new Map(),
        skipped: new Set(),
        timer: null,
        touched: now,
        warming: seq > 1,
        recovering: false,
      };
      this.lanes.set(conversationId, lane);
      if (lane.warming) this.wait(lane, WARM_UP_MS);
    }
    lane.touched = now;
    if (lane.warming) {
      lane.pending.set(seq, deliver);
      return;
    }
    if (seq < lane.next) {
      // Before this lane began, or passed over when recovery failed: never dropped. Otherwise it
      // was delivered already (recovered from the database while its announcement was late).
      if (seq < lane.start || lane.skipped.delete(seq)) deliver();
      return;
    }
    lane.pending.set(seq, deliver);
    this.drain(lane);
    if (lane.pending.size > 0 && !lane.timer && !lane.recovering) this.wait(lane, GAP_TIMEOUT_MS);
  }

  private wait(lane: Lane, ms: number): void {
    lane.timer = setTimeout(() => void this.onTimeout(lane), ms);
    lane.timer.unref();
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

  private async onTimeout(lane: Lane): Promise<void> {
    lane.timer = null;
    if (lane.pending.size === 0) return;
    if (lane.warming) {
      // Where this node joined the stream: start at the lowest seq it holds.
      lane.warming = false;
      lane.start = lane.next = Math.min(...lane.pending.keys());
    } else {
      await this.fillGap(lane);
    }
    this.drain(lane);
    if (lane.pending.size > 0 && !lane.timer) this.wait(lane, GAP_TIMEOUT_MS);
  }

  /**
   * Recovers the seqs missing before the lowest one held (at most MAX_RECOVERED, the latest; a
   * longer gap is left to `sync`, like a lane that starts there); passes over those it cannot.
   */
  private async fillGap(lane: Lane): Promise<void> {
    const to = Math.min(...lane.pending.keys()) - 1;
    if (to - lane.next + 1 > MAX_RECOVERED) lane.start = lane.next = to - MAX_RECOVERED + 1;
    lane.recovering = true;
    const recovered = await this.recover(lane.conversationId, lane.next, to).catch(
      () => new Map<number, () => void>(),
    );
    lane.recovering = false;
    // Announcements may have arrived (and been delivered) while the recovery ran.
    for (let seq = lane.next; seq <= to; seq++) {
      if (lane.pending.has(seq)) continue;
      const deliver = recovered.get(seq);
      if (deliver) lane.pending.set(seq, deliver);
      else lane.skipped.add(seq);
    }
    if (lane.pending.size > 0 && !lane.pending.has(lane.next)) lane.next = Math.min(...lane.pending.keys());
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < IDLE_FORGET_MS) return;
    this.lastSweep = now;
    for (const [id, lane] of this.lanes) {
      if (lane.pending.size === 0 && !lane.recovering && now - lane.touched > IDLE_FORGET_MS)
        this.lanes.delete(id);
    }
  }
}
