import { afterAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DataSource } from 'typeorm';
import { releaseTestDatabase, startApp, type TestApp } from './support/app.js';
import {
  befriend,
  bearer,
  createGroup,
  friendOnline,
  registerUser,
  type TestUser,
} from './support/factories.js';
import { catchUpAndCheck, Chatter, Ledger } from './support/invariants.js';
import { PrivatePostgres } from './support/postgres-server.js';
import { PrivateRedis } from './support/redis-server.js';
import { startServerProcess, type ServerProcess } from './support/server-process.js';
import { connect, until as eventually } from './support/sockets.js';

/**
 * Chaos runs with an invariant checker: clients chat through faults, and afterwards every
 * acknowledged message is stored exactly once, every seq is gapless, every member holds (after
 * sync) every message of their conversations and nobody holds or reads another's. CHAOS_SECONDS
 * sets how long each scenario's load lasts (`npm run chaos` runs longer; CI a few seconds).
 * The node scenarios need real processes on one PostgreSQL and one Redis, as in CI.
 */
const LOAD_MS = Number(process.env.CHAOS_SECONDS ?? 4) * 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const withServers = process.env.DATABASE_URL && process.env.REDIS_URL ? describe : describe.skip;

// First: it judges latency, which the test process's own garbage from the other scenarios would distort.
withServers('chaos: one user floods while others chat', () => {
  let t: ServerProcess;
  afterAll(async () => {
    await t?.close();
    await releaseTestDatabase();
  });

  it(
    'the flood is refused cheaply and the others keep an ack p99 under 200 ms; nothing acked is lost',
    async () => {
      // The server in a process of its own, so that the clients' work here is not counted as its.
      t = await startServerProcess({
        RATE_LIMIT_MESSAGES_PER_SEC: '20',
        RATE_LIMIT_MESSAGES_BURST: '20',
        RATE_LIMIT_SOCKET_EVENTS_PER_10S: '500',
        SEND_QUEUE_MAX_WAIT_MS: '250',
      });
      const users = await Promise.all(Array.from({ length: 6 }, () => registerUser(t)));
      const [flooder, ...others] = users as [TestUser, ...TestUser[]];
      const outsider = await registerUser(t);
      const room = (await createGroup(t, users[0]!, users.slice(1))).conversationId;
      const ledger = new Ledger();
      const chatters = others.map((u) => new Chatter(u, [room], () => [t], ledger));
      await Promise.all(chatters.map((c) => c.connect()));
      const flooding = promisify(execFile)(process.execPath, [
        join(import.meta.dirname, 'support', 'flooder.mjs'),
        t.url,
        flooder.accessToken,
        room,
        String(LOAD_MS),
        '100',
      ]).then(({ stdout }) => JSON.parse(stdout) as { accepted: number; refused: number });
      const until = Date.now() + LOAD_MS;
      const latencies: number[] = [];
      await Promise.all(
        chatters.map(async (c, i) => {
          let n = 0;
          while (Date.now() < until) {
            latencies.push(await c.send(room, `${i}:${n++}`));
            await sleep(100);
          }
        }),
      );
      const { accepted, refused } = await flooding;
      latencies.sort((a, b) => a - b);
      const p99 = latencies[Math.floor(latencies.length * 0.99)]!;
      expect(refused).toBeGreaterThan(accepted);
      expect(refused).toBeGreaterThan(1000);
      expect(latencies.length).toBeGreaterThan(10);
      console.info(
        `flood: ${accepted} accepted, ${refused} refused; others: ${latencies.length} sends, ack p99 ${p99.toFixed(1)} ms`,
      );
      expect(p99).toBeLessThan(200);

      const { violations } = await catchUpAndCheck(
        t.http,
        ledger,
        new Map([[room, users]]),
        chatters,
        outsider,
      );
      expect(violations).toEqual([]);
    },
    60_000 + LOAD_MS * 2,
  );
});

withServers('chaos: faults under load, then the invariants', () => {
  const nodes: ServerProcess[] = [];
  afterAll(async () => {
    for (const n of nodes) await n.close();
    await releaseTestDatabase();
  });

  it(
    'kill -9 a node under load, with every client dropping and reconnecting at once before it: nothing acked is lost, duplicated or reordered',
    async () => {
      const shared = { REDIS_PREFIX: `relay-chaos:${randomUUID()}:` };
      nodes.push(await startServerProcess(shared), await startServerProcess(shared));
      const [doomed, survivor] = nodes as [ServerProcess, ServerProcess];
      let alive: ServerProcess[] = [doomed, survivor];
      const users = await Promise.all(Array.from({ length: 6 }, () => registerUser(survivor)));
      const outsider = await registerUser(survivor);
      const everyone = (await createGroup(survivor, users[0]!, users.slice(1))).conversationId;
      const few = (await createGroup(survivor, users[3]!, users.slice(4))).conversationId;
      const members = new Map([
        [everyone, users],
        [few, users.slice(3)],
      ]);
      const ledger = new Ledger();
      const chatters = users.map(
        (u, i) => new Chatter(u, i >= 3 ? [everyone, few] : [everyone], () => alive, ledger),
      );
      await Promise.all(chatters.map((c, i) => c.connect(i % 2)));

      const until = Date.now() + LOAD_MS;
      const chatting = Promise.all(chatters.map((c) => c.chat(until)));
      // A reconnect storm: every client drops at once and comes back on its next send.
      await sleep(LOAD_MS / 4);
      for (const c of chatters) c.socket?.disconnect();
      await sleep(LOAD_MS / 4);
      const ackedBeforeKill = ledger.ackedCount;
      doomed.process.kill('SIGKILL');
      alive = [survivor];
      expect(await doomed.exited).toBe('SIGKILL');
      await chatting;

      const { violations, stored } = await catchUpAndCheck(
        survivor.http,
        ledger,
        members,
        chatters,
        outsider,
      );
      console.info(
        `kill -9: ${ledger.ackedCount} acked (${ackedBeforeKill} before the kill), ${ledger.sends.size} sent, ${stored} stored, ${violations.length} violations`,
      );
      expect(violations).toEqual([]);
      expect(chatters.flatMap((c) => c.reorderings)).toEqual([]);
      expect(ackedBeforeKill).toBeGreaterThan(0);
      expect(ledger.ackedCount).toBeGreaterThan(ackedBeforeKill);
      expect(stored).toBe(ledger.ackedCount);
    },
    120_000 + LOAD_MS * 2,
  );
});

withServers('chaos: Redis killed and restarted under load', () => {
  const nodes: ServerProcess[] = [];
  let redis: PrivateRedis | null = null;
  afterAll(async () => {
    for (const n of nodes) await n.close();
    await redis?.kill();
    await releaseTestDatabase();
  });

  it(
    'two nodes on a Redis that crashes and comes back empty: nodes recover on their own, nothing acked is lost or duplicated',
    async () => {
      redis = await PrivateRedis.start();
      const shared = { REDIS_URL: redis.url, REDIS_PREFIX: `relay-chaos:${randomUUID()}:` };
      nodes.push(await startServerProcess(shared), await startServerProcess(shared));
      const users = await Promise.all(Array.from({ length: 4 }, () => registerUser(nodes[1]!)));
      const outsider = await registerUser(nodes[1]!);
      const room = (await createGroup(nodes[1]!, users[0]!, users.slice(1))).conversationId;
      const ledger = new Ledger();
      const chatters = users.map((u) => new Chatter(u, [room], () => nodes, ledger));
      await Promise.all(chatters.map((c, i) => c.connect(i % 2)));

      const until = Date.now() + LOAD_MS + 1500;
      const chatting = Promise.all(chatters.map((c) => c.chat(until)));
      await sleep(LOAD_MS / 3);
      await redis.kill();
      const ackedBeforeCrash = ledger.ackedCount;
      await sleep(1500);
      await redis.up();
      await chatting;

      const { violations, stored } = await catchUpAndCheck(
        nodes[1]!.http,
        ledger,
        new Map([[room, users]]),
        chatters,
        outsider,
      );
      console.info(
        `Redis crash: ${ledger.ackedCount} acked (${ackedBeforeCrash} before it), ${stored} stored, ${violations.length} violations`,
      );
      expect(violations).toEqual([]);
      expect(ledger.ackedCount).toBeGreaterThan(ackedBeforeCrash);
      expect(stored).toBe(ledger.ackedCount);
      // Both nodes work again without a restart: a send through each is acked.
      for (const node of nodes) {
        const res = await node.http
          .post('/api/v1/messages')
          .set(...bearer(users[0]!))
          .send({ conversationId: room, body: 'after' })
          .expect(201);
        expect(res.body.seq).toBe(stored + nodes.indexOf(node) + 1);
      }
    },
    120_000 + LOAD_MS * 2,
  );
});

withServers('chaos: PostgreSQL crashed and restarted under load', () => {
  const nodes: ServerProcess[] = [];
  let pg: PrivatePostgres | null = null;
  afterAll(async () => {
    for (const n of nodes) await n.close();
    await pg?.destroy();
    await releaseTestDatabase();
  });

  it(
    'two nodes on a PostgreSQL that crashes and recovers: sends meanwhile are refused SERVICE_UNAVAILABLE, then retried; nothing acked is lost or duplicated',
    async () => {
      pg = await PrivatePostgres.start();
      const shared = {
        DATABASE_URL: pg.url(),
        DATABASE_POOL_SIZE: '10',
        REDIS_PREFIX: `relay-chaos:${randomUUID()}:`,
      };
      nodes.push(await startServerProcess(shared), await startServerProcess(shared));
      const users = await Promise.all(Array.from({ length: 4 }, () => registerUser(nodes[0]!)));
      const outsider = await registerUser(nodes[0]!);
      const room = (await createGroup(nodes[0]!, users[0]!, users.slice(1))).conversationId;
      const ledger = new Ledger();
      const chatters = users.map((u) => new Chatter(u, [room], () => nodes, ledger));
      await Promise.all(chatters.map((c, i) => c.connect(i % 2)));

      const until = Date.now() + LOAD_MS + 2000;
      const chatting = Promise.all(chatters.map((c) => c.chat(until)));
      await sleep(LOAD_MS / 3);
      await pg.crash();
      const ackedBeforeCrash = ledger.ackedCount;
      await sleep(1000);
      const whileDown = await Promise.all(nodes.map((n) => n.http.get('/readyz')));
      const refusedWhileDown = chatters.reduce((n, c) => n + c.refusals, 0);
      await sleep(1000);
      await pg.up();
      await chatting;

      const { violations, stored } = await catchUpAndCheck(
        nodes[0]!.http,
        ledger,
        new Map([[room, users]]),
        chatters,
        outsider,
      );
      console.info(
        `PostgreSQL crash: ${ledger.ackedCount} acked (${ackedBeforeCrash} before it), ${refusedWhileDown} refused while it was down, ${stored} stored, ${violations.length} violations`,
      );
      expect(whileDown.map((r) => r.status)).toEqual([503, 503]);
      expect(refusedWhileDown).toBeGreaterThan(0);
      expect(violations).toEqual([]);
      expect(ledger.ackedCount).toBeGreaterThan(ackedBeforeCrash);
      expect(stored).toBe(ledger.ackedCount);
      for (const node of nodes) await node.http.get('/readyz').expect(200);
    },
    120_000 + LOAD_MS * 2,
  );
});

withServers('chaos: a node frozen (SIGSTOP) past its presence expiry, then resumed', () => {
  const nodes: ServerProcess[] = [];
  afterAll(async () => {
    for (const n of nodes) {
      n.process.kill('SIGCONT');
      await n.close();
    }
    await releaseTestDatabase();
  });

  it(
    'its users show (and are announced) offline while it is frozen and online once it runs again; its clients move to the other node; nothing acked is lost or duplicated',
    async () => {
      const ttl = 3000;
      const shared = { REDIS_PREFIX: `relay-chaos:${randomUUID()}:`, PRESENCE_TTL_MS: String(ttl) };
      nodes.push(await startServerProcess(shared), await startServerProcess(shared));
      const [frozen, running] = nodes as [ServerProcess, ServerProcess];
      const users = await Promise.all(Array.from({ length: 4 }, () => registerUser(running)));
      const [watched, watcher, outsider] = await Promise.all([1, 2, 3].map(() => registerUser(running)));
      await befriend(running, watched!, watcher!);
      const idle = await connect(frozen, watched!.accessToken);
      const watching = await connect(running, watcher!.accessToken);
      const told: boolean[] = [];
      watching.on('presence', (p: { userId: string; online: boolean }) => {
        if (p.userId === watched!.id) told.push(p.online);
      });
      const watchedOnline = () => friendOnline(running, watcher!, watched!);
      expect(await watchedOnline()).toBe(true);

      const room = (await createGroup(running, users[0]!, users.slice(1))).conversationId;
      const ledger = new Ledger();
      const chatters = users.map((u) => new Chatter(u, [room], () => nodes, ledger));
      // Half the clients on the node about to freeze.
      await Promise.all(chatters.map((c, i) => c.connect(i % 2)));
      const until = Date.now() + LOAD_MS + 8000;
      const chatting = Promise.all(chatters.map((c) => c.chat(until)));
      await sleep(LOAD_MS / 3);

      frozen.process.kill('SIGSTOP');
      const ackedBeforeFreeze = ledger.ackedCount;
      await sleep(ttl + 1000);
      const onlineWhileFrozen = await watchedOnline();
      await eventually(() => told.includes(false), 3000, 'friends told of the frozen node’s user');
      // Past the clients' ack timeout too: they give up on the frozen node and retry elsewhere.
      await sleep(3000);
      frozen.process.kill('SIGCONT');
      await sleep(ttl / 3 + 1000);
      const onlineAfterResume = await watchedOnline();
      await eventually(() => told.at(-1) === true, 3000, 'friends told the user is back');
      watching.close();
      await chatting;

      const { violations, stored } = await catchUpAndCheck(
        running.http,
        ledger,
        new Map([[room, users]]),
        chatters,
        outsider!,
      );
      console.info(
        `SIGSTOP: ${ledger.ackedCount} acked (${ackedBeforeFreeze} before the freeze), ${stored} stored, ${violations.length} violations`,
      );
      expect(onlineWhileFrozen).toBe(false);
      expect(onlineAfterResume).toBe(true);
      expect(idle.connected).toBe(true);
      idle.close();
      expect(violations).toEqual([]);
      expect(chatters.flatMap((c) => c.reorderings)).toEqual([]);
      expect(ledger.ackedCount).toBeGreaterThan(ackedBeforeFreeze);
      expect(stored).toBe(ledger.ackedCount);
      // The resumed node serves again: a send through it is acked.
      await frozen.http
        .post('/api/v1/messages')
        .set(...bearer(users[0]!))
        .send({ conversationId: room, body: 'after' })
        .expect(201);
    },
    120_000 + LOAD_MS * 2,
  );
});

withServers('chaos: a node stuck in the middle of a transaction', () => {
  let t: TestApp;
  afterAll(async () => {
    await t?.close();
    await releaseTestDatabase();
  });

  it('PostgreSQL ends its transaction after DATABASE_IDLE_TRANSACTION_TIMEOUT_MS, and the sends it held up go through', async () => {
    const timeoutMs = 1500;
    t = await startApp({ DATABASE_IDLE_TRANSACTION_TIMEOUT_MS: String(timeoutMs) });
    const [a, b] = await Promise.all([registerUser(t), registerUser(t)]);
    const room = (await createGroup(t, a, [b])).conversationId;
    // A connection of the node's own pool, stuck mid-transaction holding the conversation's lock.
    const stuck = t.app.get(DataSource).createQueryRunner();
    await stuck.connect();
    await stuck.startTransaction();
    await stuck.query('SELECT id FROM conversations WHERE id = $1 FOR UPDATE', [room]);

    const started = Date.now();
    const sent = await t.http
      .post('/api/v1/messages')
      .set(...bearer(a))
      .send({ conversationId: room, body: 'held up' });
    const waitedMs = Date.now() - started;
    expect(sent.status).toBe(201);
    expect(sent.body.seq).toBe(1);
    expect(waitedMs).toBeGreaterThanOrEqual(timeoutMs - 200);
    // The stuck transaction was ended, not left to commit later.
    await expect(stuck.query('SELECT 1')).rejects.toThrow();
    await stuck.release().catch(() => undefined);
  }, 60_000);
});
