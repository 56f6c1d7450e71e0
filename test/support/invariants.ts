import { randomUUID } from 'node:crypto';
import type { Socket } from 'socket.io-client';
import type TestAgent from 'supertest/lib/agent.js';
import { bearer, type TestUser } from './factories.js';
import { connect } from './sockets.js';

/** A message as clients see it. */
export interface SeenMessage {
  id: string;
  conversationId: string;
  seq: number;
  senderId: string | null;
  clientMsgId: string | null;
  body: string;
}

/**
 * A client under fault: it sends into its conversations, retries every unacknowledged send with
 * the same clientMsgId (on whatever node is up), keeps what it receives live, and records every
 * send and ack in the ledger.
 */
export class Chatter {
  socket: Socket | null = null;
  /** Live `message:new` per conversation, in arrival order, per connection. */
  readonly live = new Map<string, SeenMessage>();
  readonly reorderings: string[] = [];
  /** Tries answered SERVICE_UNAVAILABLE or RATE_LIMITED (then retried). */
  refusals = 0;
  private lastSeqSeen = new Map<string, number>();
  private stopped = false;
  private finishing = false;

  constructor(
    readonly user: TestUser,
    readonly conversations: string[],
    private readonly nodes: () => { url: string }[],
    private readonly ledger: Ledger,
  ) {}

  /** Connects to the first node that takes it (starting at `prefer`). */
  async connect(prefer = 0): Promise<void> {
    const nodes = this.nodes();
    for (let attempt = 0; attempt < 100 && !this.stopped; attempt++) {
      const node = nodes[(prefer + attempt) % nodes.length]!;
      try {
        const socket = await connect(node, this.user.accessToken);
        this.lastSeqSeen = new Map();
        socket.on('message:new', (m: SeenMessage) => this.receive(m));
        this.socket = socket;
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error(`${this.user.username} could not connect to any node`);
  }

  /** Sends until `until` passes, one message at a time, each retried until acknowledged. */
  async chat(until: number, pauseMs = 0): Promise<void> {
    let n = 0;
    while (Date.now() < until && !this.stopped && !this.finishing) {
      const conversationId = this.conversations[n++ % this.conversations.length]!;
      await this.send(conversationId, `${this.user.username} #${n}`);
      if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
    }
  }

  /** One send, retried with the same clientMsgId through disconnections and refusals; returns the ack latency of the try that worked. */
  async send(conversationId: string, body: string): Promise<number> {
    const clientMsgId = randomUUID();
    this.ledger.sent(this.user.id, clientMsgId, conversationId);
    for (let attempt = 0; ; attempt++) {
      if (!this.socket?.connected) await this.connect(attempt);
      const started = performance.now();
      const ack = await this.socket!.timeout(5_000)
        .emitWithAck('message:send', { conversationId, body, clientMsgId })
        .catch(() => null);
      if (ack?.ok) {
        this.ledger.acked(this.user.id, clientMsgId, ack.data as SeenMessage);
        return performance.now() - started;
      }
      // No answer in time: give up this connection (its node may be frozen) and try another.
      if (!ack) this.socket?.disconnect();
      if (ack && !['SERVICE_UNAVAILABLE', 'RATE_LIMITED'].includes(ack.error?.code)) {
        throw new Error(`send refused: ${JSON.stringify(ack.error)}`);
      }
      if (ack) this.refusals++;
      if (attempt > 200) throw new Error('send never acknowledged');
      await new Promise((r) => setTimeout(r, Math.min(1000, 50 * (attempt + 1))));
    }
  }

  /** After the faults: one sync (and its pages) on a live node completes what live delivery missed. */
  async catchUp(): Promise<Map<string, SeenMessage>> {
    if (!this.socket?.connected) await this.connect();
    const held = new Map(this.live);
    const cursors: Record<string, number> = {};
    for (;;) {
      const ack = await this.socket!.timeout(10_000).emitWithAck('sync', { cursors });
      if (!ack.ok) throw new Error(`sync: ${JSON.stringify(ack.error)}`);
      let more = false;
      for (const c of ack.data.conversations as {
        conversationId: string;
        messages: SeenMessage[];
        hasMore: boolean;
      }[]) {
        for (const m of c.messages) held.set(m.id, m);
        if (c.messages.length) cursors[c.conversationId] = c.messages.at(-1)!.seq;
        more ||= c.hasMore;
      }
      if (!more) return held;
    }
  }

  /** Ends `chat` after the send in progress; the connection stays. */
  finish(): void {
    this.finishing = true;
  }

  stop(): void {
    this.stopped = true;
    this.socket?.close();
  }

  private receive(m: SeenMessage): void {
    this.live.set(m.id, m);
    const last = this.lastSeqSeen.get(m.conversationId) ?? 0;
    if (m.seq <= last)
      this.reorderings.push(`${this.user.username}: ${m.conversationId} seq ${m.seq} after ${last}`);
    this.lastSeqSeen.set(m.conversationId, m.seq);
  }
}

/** Every send and every ack, for the invariant check. */
export class Ledger {
  readonly sends = new Map<string, { senderId: string; conversationId: string; ack: SeenMessage | null }>();

  sent(senderId: string, clientMsgId: string, conversationId: string): void {
    this.sends.set(`${senderId}:${clientMsgId}`, { senderId, conversationId, ack: null });
  }

  acked(senderId: string, clientMsgId: string, message: SeenMessage): void {
    const entry = this.sends.get(`${senderId}:${clientMsgId}`)!;
    if (entry.ack && entry.ack.id !== message.id)
      throw new Error(`two acks for ${clientMsgId}: ${entry.ack.id} and ${message.id}`);
    entry.ack = message;
  }

  get ackedCount(): number {
    return [...this.sends.values()].filter((s) => s.ack).length;
  }
}

/**
 * The invariants after a fault: every acknowledged message is stored exactly once (by id and by
 * clientMsgId) with the seq it was acked with; every conversation's seq is gapless; every member
 * holds, after sync, exactly the conversation's messages; nobody holds a message of a
 * conversation they never belonged to, and an outsider cannot read any. Returns the violations.
 */
async function checkInvariants(
  http: TestAgent,
  ledger: Ledger,
  members: Map<string, TestUser[]>,
  replicas: Map<string, { user: TestUser; held: Map<string, SeenMessage> }>,
  outsider: TestUser,
): Promise<{ violations: string[]; stored: number }> {
  const violations: string[] = [];
  const history = new Map<string, SeenMessage[]>();
  for (const [conversationId, users] of members) {
    const items: SeenMessage[] = [];
    for (let after = 0; ;) {
      const page = await http
        .get(`/api/v1/conversations/${conversationId}/messages`)
        .query({ afterSeq: after, limit: 100 })
        .set(...bearer(users[0]!));
      if (page.status !== 200) {
        violations.push(`history of ${conversationId}: ${page.status}`);
        break;
      }
      items.push(...(page.body.items as SeenMessage[]));
      if (!page.body.hasMore) break;
      after = items.at(-1)!.seq;
    }
    history.set(conversationId, items);
    items.forEach((m, i) => {
      if (m.seq !== i + 1)
        violations.push(`${conversationId}: seq ${m.seq} at position ${i + 1} (gap or repeat)`);
    });
    const byClientMsgId = new Map<string, number>();
    for (const m of items) {
      const key = `${m.senderId}:${m.clientMsgId}`;
      byClientMsgId.set(key, (byClientMsgId.get(key) ?? 0) + 1);
    }
    for (const [key, n] of byClientMsgId) if (n > 1) violations.push(`${key} stored ${n} times`);
    const outside = await http
      .get(`/api/v1/conversations/${conversationId}/messages`)
      .set(...bearer(outsider));
    if (outside.status !== 404) violations.push(`an outsider read ${conversationId}: ${outside.status}`);
  }
  const stored = new Map([...history.values()].flat().map((m) => [m.id, m]));
  for (const [key, send] of ledger.sends) {
    if (!send.ack) continue;
    const m = stored.get(send.ack.id);
    if (!m) violations.push(`acked ${key} (${send.ack.id}) is not stored`);
    else if (m.seq !== send.ack.seq || m.conversationId !== send.conversationId)
      violations.push(`acked ${key} stored at ${m.conversationId}#${m.seq}, acked as #${send.ack.seq}`);
  }
  for (const { user, held } of replicas.values()) {
    const mine = [...members].filter(([, users]) => users.some((u) => u.id === user.id)).map(([id]) => id);
    const expected = new Set(mine.flatMap((id) => history.get(id)!.map((m) => m.id)));
    const missing = [...expected].filter((id) => !held.has(id));
    const foreign = [...held.values()].filter((m) => !mine.includes(m.conversationId));
    if (missing.length) violations.push(`${user.username} misses ${missing.length} messages`);
    if (foreign.length)
      violations.push(`${user.username} holds ${foreign.length} messages of conversations not theirs`);
  }
  return { violations, stored: stored.size };
}

/** After the faults: every chatter catches up (one sync), stops, and the invariants are checked. */
export async function catchUpAndCheck(
  http: TestAgent,
  ledger: Ledger,
  members: Map<string, TestUser[]>,
  chatters: Chatter[],
  outsider: TestUser,
): Promise<{ violations: string[]; stored: number }> {
  const replicas = new Map<string, { user: TestUser; held: Map<string, SeenMessage> }>();
  for (const c of chatters) replicas.set(c.user.id, { user: c.user, held: await c.catchUp() });
  chatters.forEach((c) => c.stop());
  return checkInvariants(http, ledger, members, replicas, outsider);
}
