import { afterAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { releaseTestDatabase } from './support/app.js';
import { bearer, createGroup, registerUser, type TestUser } from './support/factories.js';
import { Chatter, checkInvariants, Ledger, type SeenMessage } from './support/invariants.js';
import { PrivateRedis } from './support/redis-server.js';
import { startServerProcess, type ServerProcess } from './support/server-process.js';

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

      const replicas = new Map<string, { user: TestUser; held: Map<string, SeenMessage> }>();
      for (const c of chatters) replicas.set(c.user.id, { user: c.user, held: await c.catchUp() });
      chatters.forEach((c) => c.stop());
      const { violations, stored } = await checkInvariants(
        survivor.http,
        ledger,
        members,
        replicas,
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

      const replicas = new Map<string, { user: TestUser; held: Map<string, SeenMessage> }>();
      for (const c of chatters) replicas.set(c.user.id, { user: c.user, held: await c.catchUp() });
      chatters.forEach((c) => c.stop());
      const { violations, stored } = await checkInvariants(
        nodes[1]!.http,
        ledger,
        new Map([[room, users]]),
        replicas,
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

      const replicas = new Map<string, { user: TestUser; held: Map<string, SeenMessage> }>();
      for (const c of chatters) replicas.set(c.user.id, { user: c.user, held: await c.catchUp() });
      chatters.forEach((c) => c.stop());
      const { violations } = await checkInvariants(
        t.http,
        ledger,
        new Map([[room, users]]),
        replicas,
        outsider,
      );
      expect(violations).toEqual([]);
    },
    60_000 + LOAD_MS * 2,
  );
});
