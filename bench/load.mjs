/**
 * The load generator, a process of its own (forked by bench/run.mjs, which talks to it over IPC):
 * real socket.io-client sockets against Relay or the bare relay, the same code for both. Each
 * scenario reports its steps as it goes ({event: 'step-begin' | 'step-end'}), so that the
 * orchestrator can read the server's CPU time and RSS at the step's edges.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { io } from 'socket.io-client';

const ACK_TIMEOUT_MS = 5000;
const GRACE_MS = 2000;
const PASS_P99_MS = 100;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const send = (message) => process.send(message);

export const percentile = (sorted, p) =>
  sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const round = (x) => (x === null ? null : Math.round(x * 10) / 10);

/** Runs `fn` over items with at most `n` at a time. */
async function pool(items, n, fn) {
  const out = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}

/**
 * A send that must get through (setting a scenario up): retried like a client would, after
 * `retryAfterMs`, when the server sheds load; any other refusal is an error.
 */
async function sendReliably(socket, payload) {
  for (let attempt = 0; ; attempt++) {
    const ack = await socket
      .timeout(30_000)
      .emitWithAck('message:send', { ...payload, clientMsgId: payload.clientMsgId ?? randomUUID() });
    if (ack.ok) return ack.data;
    if (ack.error?.code !== 'SERVICE_UNAVAILABLE' || attempt >= 50)
      throw new Error(`send: ${JSON.stringify(ack.error)}`);
    await sleep(ack.error.details?.retryAfterMs ?? 100);
  }
}

/** What differs between Relay and the bare relay: identities, sockets, groups. */
class Target {
  constructor({ kind, url }) {
    this.kind = kind;
    this.url = url;
    this.users = [];
  }

  async post(path, body, token) {
    const res = await fetch(`${this.url}/api/v1${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return res.json();
  }

  /**
   * `n` users (Relay: registered over REST, which hashes each password). Scenarios share them,
   * except those given `fresh` ones, whose sync must not carry earlier scenarios' conversations.
   */
  async ensureUsers(n, { fresh = false } = {}) {
    if (fresh) return this.register(n);
    const missing = n - this.users.length;
    if (missing > 0) this.users.push(...(await this.register(missing)));
    return this.users.slice(0, n);
  }

  register(n) {
    return pool(Array.from({ length: n }), 8, async () => {
      if (this.kind === 'bare') return { id: randomUUID() };
      const r = await this.post('/auth/register', {
        username: `b${randomUUID().replaceAll('-', '').slice(0, 16)}`,
        password: 'bench-pass-1',
      });
      return { id: r.user.id, token: r.accessToken };
    });
  }

  /** A group of these users; returns the id messages are sent to (`conversationId`). */
  async group(users) {
    if (this.kind === 'bare') return randomUUID();
    const [owner, ...rest] = users;
    const created = await this.post(
      '/groups',
      {
        name: `bench ${randomUUID().slice(0, 8)}`,
        memberIds: rest.map((u) => u.id),
        maxMembers: users.length + 1,
      },
      owner.token,
    );
    return created.conversationId;
  }

  connect(user, rooms = []) {
    return new Promise((resolve, reject) => {
      const socket = io(this.url, {
        transports: ['websocket'],
        auth: this.kind === 'bare' ? { userId: user.id, rooms } : { token: user.token },
        reconnection: false,
        forceNew: true,
        timeout: 20_000,
      });
      socket.once('connect', () => resolve(socket));
      socket.once('connect_error', reject);
    });
  }

  /** Relay's notification jobs from /metrics: notify jobs completed, jobs of any queue still to run (null for the bare relay). */
  async notifyJobs() {
    if (this.kind === 'bare') return null;
    const text = await (await fetch(`${this.url}/metrics`)).text();
    const count = (queue, state) =>
      Number(
        new RegExp(`relay_notification_jobs\\{queue="${queue}",state="${state}"\\} (\\d+)`).exec(text)?.[1] ??
          0,
      );
    let pending = 0;
    for (const queue of ['notify', 'push', 'webhook'])
      for (const state of ['created', 'retry', 'active']) pending += count(queue, state);
    const completed = Number(
      /relay_notification_jobs_finished_total\{queue="notify",outcome="completed"\} (\d+)/.exec(text)?.[1] ??
        0,
    );
    return { completed, pending };
  }

  connectAll(entries) {
    return pool(entries, 100, ({ user, rooms }) => this.connect(user, rooms));
  }
}

/**
 * Deliveries and acks of every message this process sends, by clientMsgId: latency from the
 * sender's clock to the receiver's, and what never arrived.
 */
class Tracker {
  constructor() {
    this.reset();
  }

  reset() {
    this.pending = new Map();
    this.deliveryMs = [];
    this.ackMs = [];
    this.delivered = 0;
    this.acked = 0;
    this.refused = 0;
    this.errors = 0;
    this.timeouts = 0;
    this.outstanding = 0;
    this.lastError = null;
  }

  watch(socket) {
    socket.on('message:new', (m) => {
      const entry = this.pending.get(m.clientMsgId);
      if (!entry) return;
      this.deliveryMs.push(performance.now() - entry.t0);
      this.delivered++;
      entry.got++;
    });
  }

  /** Sends without waiting (open loop); the ack is counted when it comes. */
  fire(socket, payload, expected, onAck) {
    const clientMsgId = randomUUID();
    const t0 = performance.now();
    const entry = { t0, expected, got: 0, ok: false };
    this.pending.set(clientMsgId, entry);
    this.outstanding++;
    socket.timeout(ACK_TIMEOUT_MS).emit('message:send', { ...payload, clientMsgId }, (err, ack) => {
      this.outstanding--;
      if (err) {
        this.timeouts++;
        return;
      }
      if (ack?.ok) {
        entry.ok = true;
        this.acked++;
        this.ackMs.push(performance.now() - t0);
        onAck?.(ack.data);
      } else if (ack?.error?.code === 'SERVICE_UNAVAILABLE') {
        this.refused++;
      } else {
        this.errors++;
        this.lastError = ack?.error ?? null;
      }
    });
  }

  /** Waits for outstanding acks, then for deliveries of acked messages (at most GRACE_MS more). */
  async settle() {
    const until = performance.now() + ACK_TIMEOUT_MS + 500;
    while (this.outstanding > 0 && performance.now() < until) await sleep(20);
    const grace = performance.now() + GRACE_MS;
    while (performance.now() < grace && this.missing() > 0) await sleep(20);
  }

  missing() {
    let lost = 0;
    for (const e of this.pending.values()) if (e.ok && e.got < e.expected) lost += e.expected - e.got;
    return lost;
  }
}

/**
 * Offered load in steps: each step sends at `rate` messages per second for `stepMs`, spread over
 * the senders, open loop (a send does not wait for the previous ack). Stops after the first step
 * that fails (anything lost, refused or unanswered, or delivery p99 at or above PASS_P99_MS).
 */
async function ladder({ scenario, rates, stepMs, senders, payloadOf, expected, tracker, onAck }) {
  const steps = [];
  let cursor = 0;
  // Warm up (JIT, caches, pools) at the first rate; not measured.
  const warmUntil = performance.now() + Math.min(3000, stepMs);
  for (let sent = 0; performance.now() < warmUntil; sent++) {
    const i = cursor++ % senders.length;
    tracker.fire(senders[i], payloadOf(i, sent), expected, onAck);
    await sleep(1000 / rates[0]);
  }
  await tracker.settle();
  await sleep(500);
  for (const rate of rates) {
    tracker.reset();
    send({ event: 'step-begin', scenario, rate });
    const started = performance.now();
    let sent = 0;
    while (performance.now() - started < stepMs) {
      const due = Math.floor((rate * (performance.now() - started)) / 1000) - sent;
      for (let k = 0; k < due; k++) {
        const i = cursor++ % senders.length;
        tracker.fire(senders[i], payloadOf(i, sent), expected, onAck);
        sent++;
      }
      await sleep(5);
    }
    const sentIn = performance.now() - started;
    await tracker.settle();
    const deliveryMs = tracker.deliveryMs.sort((a, b) => a - b);
    const ackMs = tracker.ackMs.sort((a, b) => a - b);
    const lost = tracker.missing();
    const step = {
      offered: Math.round((sent / sentIn) * 1000),
      achieved: Math.round((tracker.acked / sentIn) * 1000),
      deliveriesPerSec: Math.round((tracker.delivered / sentIn) * 1000),
      sent,
      acked: tracker.acked,
      refused: tracker.refused,
      errors: tracker.errors,
      timeouts: tracker.timeouts,
      lost,
      deliveryMs: {
        p50: round(percentile(deliveryMs, 50)),
        p95: round(percentile(deliveryMs, 95)),
        p99: round(percentile(deliveryMs, 99)),
      },
      ackMs: { p50: round(percentile(ackMs, 50)), p99: round(percentile(ackMs, 99)) },
      lastError: tracker.lastError,
    };
    step.passed =
      lost === 0 &&
      tracker.refused === 0 &&
      tracker.errors === 0 &&
      tracker.timeouts === 0 &&
      step.deliveryMs.p99 !== null &&
      step.deliveryMs.p99 < PASS_P99_MS;
    send({ event: 'step-end', scenario, rate, step });
    steps.push({ rate, ...step });
    if (!step.passed) break;
    await sleep(1000);
  }
  return steps;
}

const BODY = 'x'.repeat(64);

const scenarios = {
  /** 1:1 messages; each client writes to its 4 ring neighbours. */
  async direct(target, p) {
    const users = await target.ensureUsers(p.clients);
    const sockets = await target.connectAll(users.map((user) => ({ user })));
    const tracker = new Tracker();
    sockets.forEach((s) => tracker.watch(s));
    const n = users.length;
    const neighbours = (i) => [1, 2, n - 1, n - 2].map((d) => (i + d) % n);
    // Relay: open each pair's conversation once; afterwards sends name the conversation.
    const conversationOf = new Map();
    if (target.kind === 'relay') {
      await pool(users, 50, async (_, i) => {
        for (const j of neighbours(i)) {
          const opened = await sendReliably(sockets[i], {
            to: { type: 'user', id: users[j].id },
            body: 'open',
          });
          conversationOf.set(`${i}:${j}`, opened.conversationId);
        }
      });
    }
    const payloadOf = (i, k) => {
      const j = neighbours(i)[k % 4];
      return target.kind === 'relay'
        ? { conversationId: conversationOf.get(`${i}:${j}`), body: BODY }
        : { to: { type: 'user', id: users[j].id }, body: BODY };
    };
    const steps = await ladder({
      scenario: 'direct',
      rates: p.rates,
      stepMs: p.stepMs,
      senders: sockets,
      payloadOf,
      expected: 1,
      tracker,
    });
    sockets.forEach((s) => s.close());
    return { clients: n, steps };
  },

  /** One group conversation, every member sending into it. */
  async hot(target, p) {
    const users = await target.ensureUsers(p.senders);
    const conversationId = await target.group(users);
    const sockets = await target.connectAll(users.map((user) => ({ user, rooms: [conversationId] })));
    const tracker = new Tracker();
    sockets.forEach((s) => tracker.watch(s));
    const seqs = [];
    const steps = await ladder({
      scenario: 'hot',
      rates: p.rates,
      stepMs: p.stepMs,
      senders: sockets,
      payloadOf: () => ({ conversationId, body: BODY }),
      expected: users.length - 1,
      tracker,
      onAck: (m) => seqs.push(m.seq),
    });
    sockets.forEach((s) => s.close());
    seqs.sort((a, b) => a - b);
    const gapless = seqs.every((s, i) => i === 0 || s === seqs[i - 1] + 1);
    return { senders: users.length, steps, stored: seqs.length, seqGapless: gapless };
  },

  /** One sender into a group whose members are all connected. */
  async fanout(target, p) {
    const users = await target.ensureUsers(p.members);
    const conversationId = await target.group(users);
    const sockets = await target.connectAll(users.map((user) => ({ user, rooms: [conversationId] })));
    const tracker = new Tracker();
    sockets.slice(1).forEach((s) => tracker.watch(s));
    const steps = await ladder({
      scenario: 'fanout',
      rates: p.rates,
      stepMs: p.stepMs,
      senders: [sockets[0]],
      payloadOf: () => ({ conversationId, body: BODY }),
      expected: users.length - 1,
      tracker,
    });
    sockets.forEach((s) => s.close());
    return { members: users.length, steps };
  },

  /**
   * Groups whose members are mostly offline: one connected sender, one connected watcher, the
   * rest never connected, so every message opens a notification window for each of them (Relay:
   * one durable job per member and window, then one webhook delivery each). The orchestrator runs
   * it also on a Relay whose window is a day long (notifications effectively off), so that the
   * acks with and without the notification work are compared; afterwards Relay's notification
   * jobs are counted until they drain.
   */
  async offline(target, p) {
    const users = await target.ensureUsers(p.members);
    const [sender, watcher] = users;
    const groups = [];
    for (let g = 0; g < p.groups; g++) groups.push(await target.group(users));
    const [senderSocket, watcherSocket] = await target.connectAll([
      { user: sender, rooms: groups },
      { user: watcher, rooms: groups },
    ]);
    const tracker = new Tracker();
    tracker.watch(watcherSocket);
    const jobsBefore = await target.notifyJobs();
    const steps = await ladder({
      scenario: 'offline',
      rates: p.rates,
      stepMs: p.stepMs,
      senders: [senderSocket],
      payloadOf: (_i, k) => ({ conversationId: groups[k % groups.length], body: BODY }),
      expected: 1,
      tracker,
    });
    const t0 = performance.now();
    let jobs = await target.notifyJobs();
    while (jobs && jobs.pending > 0 && performance.now() - t0 < 120_000) {
      await sleep(250);
      jobs = await target.notifyJobs();
    }
    senderSocket.close();
    watcherSocket.close();
    return {
      members: users.length,
      groups: p.groups,
      steps,
      notifyJobs: jobs && jobsBefore ? jobs.completed - jobsBefore.completed : null,
      notifyDrainMs: jobs ? Math.round(performance.now() - t0) : null,
    };
  },

  /** Many authenticated sockets doing nothing: what each costs the server in memory. */
  async idle(target, p) {
    const users = await target.ensureUsers(p.users);
    send({ event: 'mark', name: 'idle-before' });
    await sleep(500);
    send({ event: 'mark', name: 'idle-before' });
    const entries = Array.from({ length: p.sockets }, (_, i) => ({ user: users[i % users.length] }));
    const t0 = performance.now();
    const sockets = await target.connectAll(entries);
    const connectMs = performance.now() - t0;
    await sleep(3000);
    send({ event: 'mark', name: 'idle-after' });
    await sleep(200);
    sockets.forEach((s) => s.close());
    await sleep(1000);
    return { sockets: sockets.length, connectMs: Math.round(connectMs) };
  },

  /**
   * A reconnect storm: every client drops, messages are written (and one it held is edited)
   * while they are away, and all come back at once and `sync` from the cursor and token they
   * held: time until every client holds every message and the edit (Relay), or until every client
   * is back (the bare relay, which stores nothing).
   */
  async storm(target, p) {
    const users = await target.ensureUsers(p.users, { fresh: true });
    const conversationId = await target.group(users);
    const entries = Array.from({ length: p.clients }, (_, i) => ({
      user: users[i % users.length],
      rooms: [conversationId],
    }));
    let sockets = await target.connectAll(entries);
    // Everyone holds the conversation up to here, and the token of a sync that saw it.
    const poster = await target.connect(users[0], [conversationId]);
    const before = await sendReliably(poster, { conversationId, body: 'before' });
    const cursor = before.seq;
    const tokens = await Promise.all(
      sockets.map(async (s) => {
        const ack = await s.emitWithAck('sync', { cursors: { [conversationId]: cursor } });
        return ack.data?.syncToken;
      }),
    );
    sockets.forEach((s) => s.close());
    const missed = [];
    for (let k = 0; k < p.missed; k++) {
      missed.push((await sendReliably(poster, { conversationId, body: `missed ${k}` })).seq);
    }
    // And a message they held is edited while they are away: the sync with their token brings it.
    if (target.kind === 'relay') {
      await poster.emitWithAck('message:edit', { messageId: before.id, body: 'before, edited' });
    }
    poster.close();
    await sleep(500);
    send({ event: 'step-begin', scenario: 'storm', rate: p.clients });
    const t0 = performance.now();
    let incomplete = 0;
    let failed = 0;
    sockets = await pool(entries, p.clients, async ({ user, rooms }, i) => {
      for (let attempt = 0; ; attempt++) {
        try {
          const socket = await target.connect(user, rooms);
          const held = new Set();
          let edited = false;
          let since = tokens[i];
          for (let after = cursor; ;) {
            const ack = await socket.timeout(30_000).emitWithAck('sync', {
              cursors: { [conversationId]: after },
              limit: 100,
              ...(since ? { since } : {}),
            });
            if (!ack.ok) throw new Error(JSON.stringify(ack.error));
            const conv = ack.data.conversations.find((c) => c.conversationId === conversationId);
            for (const m of conv?.messages ?? []) held.add(m.seq);
            edited ||= (ack.data.changes?.updated ?? []).some((m) => m.id === before.id);
            since = ack.data.syncToken;
            if (!conv?.hasMore) break;
            after = conv.messages.at(-1).seq;
          }
          if (target.kind === 'relay' && (!edited || missed.some((s) => !held.has(s)))) incomplete++;
          return socket;
        } catch {
          if (attempt >= 5) {
            failed++;
            return null;
          }
          await sleep(100 * 2 ** attempt);
        }
      }
    });
    const caughtUpMs = performance.now() - t0;
    send({ event: 'step-end', scenario: 'storm', rate: p.clients, step: { caughtUpMs } });
    sockets.forEach((s) => s?.close());
    return {
      clients: p.clients,
      missedMessages: p.missed,
      caughtUpMs: Math.round(caughtUpMs),
      incomplete,
      failed,
    };
  },

  /** The read path: clients page through a conversation's history with `sync`, closed loop. */
  async read(target, p) {
    const users = await target.ensureUsers(p.clients, { fresh: true });
    const conversationId = await target.group(users);
    const writer = await target.connect(users[0], [conversationId]);
    await pool(Array.from({ length: p.history }), 20, () =>
      sendReliably(writer, { conversationId, body: BODY }),
    );
    writer.close();
    const sockets = await target.connectAll(users.map((user) => ({ user, rooms: [conversationId] })));
    const latency = [];
    let requests = 0;
    let errors = 0;
    send({ event: 'step-begin', scenario: 'read', rate: p.clients });
    const t0 = performance.now();
    await Promise.all(
      sockets.map(async (s) => {
        while (performance.now() - t0 < p.stepMs) {
          const after = Math.floor(Math.random() * Math.max(1, p.history - 100));
          const r0 = performance.now();
          const ack = await s.emitWithAck('sync', { cursors: { [conversationId]: after }, limit: 100 });
          latency.push(performance.now() - r0);
          requests++;
          if (!ack.ok) errors++;
        }
      }),
    );
    const elapsed = performance.now() - t0;
    latency.sort((a, b) => a - b);
    const step = {
      requestsPerSec: Math.round((requests / elapsed) * 1000),
      messagesPerSec: Math.round(((requests * 100) / elapsed) * 1000),
      errors,
      latencyMs: { p50: round(percentile(latency, 50)), p99: round(percentile(latency, 99)) },
    };
    send({ event: 'step-end', scenario: 'read', rate: p.clients, step });
    sockets.forEach((s) => s.close());
    return { clients: p.clients, history: p.history, ...step };
  },
};

let target = null;
process.on('message', async (message) => {
  try {
    if (message.cmd === 'target') {
      target = new Target(message.target);
      send({ event: 'ok' });
    } else if (message.cmd === 'run') {
      const result = await scenarios[message.scenario](target, message.params);
      send({ event: 'result', scenario: message.scenario, result });
    } else if (message.cmd === 'exit') {
      process.exit(0);
    }
  } catch (error) {
    send({ event: 'error', message: String(error?.stack ?? error) });
  }
});
send({ event: 'hello' });
