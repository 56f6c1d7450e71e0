#!/usr/bin/env node
/**
 * Messaging throughput and latency, end to end: starts the built server as a child process
 * (embedded PGlite, or DATABASE_URL / REDIS_URL when set) and drives it with real Socket.IO clients.
 *
 * Scenario `direct` (BENCH_PAIRS=20, BENCH_MESSAGES=5000, BENCH_WINDOW=8): N senders to N receivers,
 * with a window of in-flight messages per sender. Reports persisted messages per second (each ack
 * comes after the commit) and delivery latency from sending to the receiver's `message:new`.
 *
 * Scenario `group` (BENCH_GROUP_SIZE=200, BENCH_GROUP_MESSAGES=200): one sender into a group whose
 * members are all connected. Reports fan-out latency (sending → the last member has it) and
 * deliveries per second.
 *
 *   npm run bench                                   # both scenarios
 *   BENCH_SCENARIO=group BENCH_GROUP_SIZE=500 npm run bench
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { io } from 'socket.io-client';

const PAIRS = Number(process.env.BENCH_PAIRS ?? 20);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 5000);
const WINDOW = Number(process.env.BENCH_WINDOW ?? 8);
const GROUP_SIZE = Number(process.env.BENCH_GROUP_SIZE ?? 200);
const GROUP_MESSAGES = Number(process.env.BENCH_GROUP_MESSAGES ?? 200);
const SCENARIOS = (process.env.BENCH_SCENARIO ?? 'direct,group').split(',');

const freePort = () =>
  new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** With DATABASE_URL, a fresh database on that server for this run (dropped afterwards). */
async function scratchDatabase() {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) return { url: undefined, drop: async () => {} };
  const name = `relay_bench_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

async function main() {
  const port = await freePort();
  const database = await scratchDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), 'relay-bench-'));
  // e.g. BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/relay-prof" to profile the server.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const server = spawn(process.execPath, [...nodeArgs, 'dist/main.js'], {
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      JWT_SECRET: randomUUID() + randomUUID(),
      RATE_LIMIT_MESSAGES_PER_SEC: '0',
      RATE_LIMIT_REGISTRATIONS_PER_MIN: '0',
      RATE_LIMIT_LOGINS_PER_IP_PER_MIN: '0',
      ...(database.url ? { DATABASE_URL: database.url } : {}),
      ...(process.env.REDIS_URL
        ? { REDIS_URL: process.env.REDIS_URL, REDIS_PREFIX: `bench:${randomUUID()}:` }
        : {}),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; ; i++) {
      const ok = await fetch(`${base}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (i > 300) throw new Error('server did not become ready');
      await new Promise((r) => setTimeout(r, 100));
    }
    const post = async (path, body, token) => {
      const res = await fetch(`${base}/api/v1${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      return res.json();
    };
    const register = async () => {
      const r = await post('/auth/register', {
        username: `b${randomUUID().slice(0, 12)}`,
        password: 'bench-pass-1',
      });
      return { id: r.user.id, token: r.accessToken };
    };
    const connect = (token) =>
      new Promise((resolve, reject) => {
        const s = io(base, {
          transports: ['websocket'],
          auth: { token },
          reconnection: false,
          forceNew: true,
        });
        s.once('connect', () => resolve(s));
        s.once('connect_error', reject);
      });

    const ctx = { post, register, connect };
    const results = [];
    if (SCENARIOS.includes('direct')) results.push(await direct(ctx));
    if (SCENARIOS.includes('group')) results.push(await group(ctx));
    console.log(
      JSON.stringify(
        {
          database: process.env.DATABASE_URL ? 'postgresql' : 'pglite',
          redis: Boolean(process.env.REDIS_URL),
          results,
        },
        null,
        2,
      ),
    );
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
    await database.drop();
  }
}

async function direct({ post, register, connect }) {
  const pairs = [];
  for (let i = 0; i < PAIRS; i++) {
    const [a, b] = [await register(), await register()];
    const req = await post('/friends/requests', { userId: b.id }, a.token);
    await post(`/friends/requests/${req.id}/accept`, {}, b.token);
    pairs.push({ a, b, sender: await connect(a.token), receiver: await connect(b.token) });
  }

  const sentAt = new Map();
  const deliveryMs = [];
  const ackMs = [];
  let delivered = 0;
  let allDelivered;
  const done = new Promise((r) => (allDelivered = r));
  for (const p of pairs) {
    p.receiver.on('message:new', (m) => {
      const t0 = sentAt.get(m.clientMsgId);
      if (t0 !== undefined) deliveryMs.push(performance.now() - t0);
      if (++delivered === MESSAGES) allDelivered();
    });
  }
  // Open each conversation once, outside the measurement.
  const conversations = await Promise.all(
    pairs.map(async (p) => {
      const ack = await p.sender.emitWithAck('message:send', {
        to: { type: 'user', id: p.b.id },
        body: 'warm-up',
        clientMsgId: randomUUID(),
      });
      return ack.data.conversationId;
    }),
  );
  delivered = 0;
  deliveryMs.length = 0;

  const perSender = Math.ceil(MESSAGES / PAIRS);
  const started = performance.now();
  await Promise.all(
    pairs.map(async (p, i) => {
      const total = Math.min(perSender, MESSAGES - i * perSender);
      let next = 0;
      const lane = async () => {
        while (next < total) {
          next++;
          const clientMsgId = randomUUID();
          const t0 = performance.now();
          sentAt.set(clientMsgId, t0);
          const ack = await p.sender.emitWithAck('message:send', {
            conversationId: conversations[i],
            body: `message ${next}`,
            clientMsgId,
          });
          if (!ack.ok) throw new Error(JSON.stringify(ack.error));
          ackMs.push(performance.now() - t0);
        }
      };
      await Promise.all(Array.from({ length: WINDOW }, lane));
    }),
  );
  const ackedIn = performance.now() - started;
  await Promise.race([
    done,
    new Promise((_, reject) => setTimeout(() => reject(new Error(`only ${delivered} delivered`)), 30_000)),
  ]);
  const deliveredIn = performance.now() - started;

  deliveryMs.sort((x, y) => x - y);
  ackMs.sort((x, y) => x - y);
  const result = {
    scenario: 'direct',
    pairs: PAIRS,
    messages: MESSAGES,
    window: WINDOW,
    persistedPerSec: Math.round((MESSAGES / ackedIn) * 1000),
    deliveredPerSec: Math.round((MESSAGES / deliveredIn) * 1000),
    ackMs: { p50: +percentile(ackMs, 50).toFixed(1), p99: +percentile(ackMs, 99).toFixed(1) },
    deliveryMs: {
      p50: +percentile(deliveryMs, 50).toFixed(1),
      p95: +percentile(deliveryMs, 95).toFixed(1),
      p99: +percentile(deliveryMs, 99).toFixed(1),
    },
  };
  for (const p of pairs) {
    p.sender.close();
    p.receiver.close();
  }
  return result;
}

async function group({ post, register, connect }) {
  const owner = await register();
  const members = [];
  for (let i = 0; i < GROUP_SIZE - 1; i++) members.push(await register());
  const created = await post(
    '/groups',
    { name: 'bench', memberIds: members.map((m) => m.id), maxMembers: Math.max(GROUP_SIZE, 2) },
    owner.token,
  );
  const sender = await connect(owner.token);
  const sockets = await Promise.all(members.map((m) => connect(m.token)));
  const pending = new Map();
  const fanoutMs = [];
  let deliveries = 0;
  for (const s of sockets) {
    s.on('message:new', (m) => {
      deliveries++;
      const p = pending.get(m.clientMsgId);
      if (p && --p.left === 0) {
        fanoutMs.push(performance.now() - p.t0);
        pending.delete(m.clientMsgId);
        p.done();
      }
    });
  }
  const send = async () => {
    const clientMsgId = randomUUID();
    const all = new Promise((done) =>
      pending.set(clientMsgId, { t0: performance.now(), left: sockets.length, done }),
    );
    const ack = await sender.emitWithAck('message:send', {
      to: { type: 'group', id: created.id },
      body: 'fan-out',
      clientMsgId,
    });
    if (!ack.ok) throw new Error(JSON.stringify(ack.error));
    await all;
  };
  await send(); // warm-up
  fanoutMs.length = 0;
  deliveries = 0;
  const started = performance.now();
  let sent = 0;
  const lane = async () => {
    while (sent < GROUP_MESSAGES) {
      sent++;
      await send();
    }
  };
  await Promise.all(Array.from({ length: 4 }, lane));
  const elapsed = performance.now() - started;
  fanoutMs.sort((x, y) => x - y);
  sender.close();
  for (const s of sockets) s.close();
  return {
    scenario: 'group',
    members: GROUP_SIZE,
    messages: GROUP_MESSAGES,
    messagesPerSec: Math.round((GROUP_MESSAGES / elapsed) * 1000),
    deliveriesPerSec: Math.round((deliveries / elapsed) * 1000),
    fanoutMs: { p50: +percentile(fanoutMs, 50).toFixed(1), p99: +percentile(fanoutMs, 99).toFixed(1) },
  };
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
