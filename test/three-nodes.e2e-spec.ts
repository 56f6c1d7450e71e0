import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Socket } from 'socket.io-client';
import { MIGRATIONS } from '../src/database/migrations/index.js';
import { releaseTestDatabase } from './support/app.js';
import {
  befriend,
  bearer,
  binaryBody,
  createGroup,
  friendOnline,
  login,
  registerUser,
  type TestUser,
} from './support/factories.js';
import { catchUpAndCheck, Chatter, Ledger } from './support/invariants.js';
import { LocalS3 } from './support/s3-server.js';
import { startServerProcess, type ServerProcess } from './support/server-process.js';
import { connect, record, until, waitFor } from './support/sockets.js';

/**
 * Three Relay processes on one PostgreSQL, one Redis and one S3-compatible store, as behind a load
 * balancer, with users spread over them. Runs where PostgreSQL and Redis are (as in CI).
 */
const withServers = process.env.DATABASE_URL && process.env.REDIS_URL ? describe : describe.skip;
const PRESENCE_TTL_MS = 3000;
const LOAD_MS = Number(process.env.CHAOS_SECONDS ?? 4) * 1000;

withServers('three nodes', () => {
  let s3: LocalS3;
  let shared: Record<string, string>;
  const nodes: ServerProcess[] = [];
  const sockets: Socket[] = [];
  const on = async (node: ServerProcess, user: TestUser) => {
    const s = await connect(node, user.accessToken);
    sockets.push(s);
    return s;
  };

  beforeAll(async () => {
    s3 = await LocalS3.start();
    shared = {
      ...s3.env,
      REDIS_PREFIX: `relay-3n:${randomUUID()}:`,
      PRESENCE_TTL_MS: String(PRESENCE_TTL_MS),
    };
    nodes.push(
      ...(await Promise.all([
        startServerProcess(shared),
        startServerProcess(shared),
        startServerProcess(shared),
      ])),
    );
  }, 120_000);
  afterAll(async () => {
    for (const s of sockets) s.close();
    for (const n of nodes) await n.close();
    await s3?.close();
    await releaseTestDatabase();
  });

  it('direct, 200-member group and org-unit messages reach every member on every node exactly once and in order', async () => {
    const users = await Promise.all(Array.from({ length: 200 }, (_, i) => registerUser(nodes[i % 3]!)));
    const [owner] = users as [TestUser];
    const group = await createGroup(nodes[0]!, owner, users.slice(1));
    const conns = await Promise.all(users.map((u, i) => on(nodes[i % 3]!, u)));
    const seen = conns.map((s) =>
      record<{ conversationId: string; seq: number; body: string }>(s, 'message:new'),
    );

    // Three senders, one per node, ten messages each, concurrently.
    const senders = [0, 1, 2];
    await Promise.all(
      senders.map(async (i) => {
        for (let n = 0; n < 10; n++)
          await nodes[i]!.http.post('/api/v1/messages')
            .set(...bearer(users[i]!))
            .send({ conversationId: group.conversationId, body: `${i}:${n}` })
            .expect(201);
      }),
    );
    // A sender's own socket hears the others' messages (its REST sends reach its socket too).
    await until(() => seen.every((s) => s.length === 30), 30_000, 'every member on every node');
    for (const s of seen) {
      expect(s.map((m) => m.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      expect(new Set(s.map((m) => m.conversationId))).toEqual(new Set([group.conversationId]));
    }

    // Direct: users on node 1 and node 3.
    const [a, c] = [users[3]!, users[5]!];
    await befriend(nodes[1]!, a, c);
    const beforeA = seen[3]!.length;
    const beforeC = seen[5]!.length;
    await nodes[0]!.http
      .post('/api/v1/messages')
      .set(...bearer(a))
      .send({ to: { type: 'user', id: c.id }, body: 'direct' })
      .expect(201);
    await until(() => seen[5]!.length === beforeC + 1 && seen[3]!.length === beforeA + 1, 10_000, 'direct');
    expect(seen[5]!.at(-1)!.body).toBe('direct');

    // An org unit: its members spread over the nodes.
    const tenant = (
      await nodes[2]!.http
        .post('/api/v1/tenants')
        .set(...bearer(owner))
        .send({ name: 'Acme' })
        .expect(201)
    ).body as { id: string };
    const staff = users.slice(10, 16);
    for (const m of staff)
      await nodes[2]!.http
        .post(`/api/v1/tenants/${tenant.id}/members`)
        .set(...bearer(owner))
        .send({ userId: m.id, role: 'member' })
        .expect(201);
    const unit = (
      await nodes[1]!.http
        .post(`/api/v1/tenants/${tenant.id}/org-units`)
        .set(...bearer(owner))
        .send({ name: 'Sales' })
        .expect(201)
    ).body as { id: string; conversationId: string };
    await nodes[0]!.http
      .post(`/api/v1/org-units/${unit.id}/members`)
      .set(...bearer(owner))
      .send({ userIds: staff.map((m) => m.id) })
      .expect(200);
    const before = staff.map((_, i) => seen[10 + i]!.length);
    await nodes[2]!.http
      .post('/api/v1/messages')
      .set(...bearer(owner))
      .send({ to: { type: 'org', id: unit.id }, body: 'kickoff' })
      .expect(201);
    await until(() => staff.every((_, i) => seen[10 + i]!.length === before[i]! + 1), 10_000, 'org unit');
    for (let i = 0; i < staff.length; i++)
      expect(seen[10 + i]!.at(-1)!.conversationId).toBe(unit.conversationId);
    // Nobody outside the unit heard it.
    expect(seen[20]!.some((m) => m.conversationId === unit.conversationId)).toBe(false);
  }, 180_000);

  it('a membership change made on node 1 moves sockets on nodes 2 and 3; a session revoked on node 1 drops its socket on node 3', async () => {
    const [owner, x, y] = await Promise.all([
      registerUser(nodes[0]!),
      registerUser(nodes[1]!),
      registerUser(nodes[2]!),
    ]);
    const group = await createGroup(nodes[0]!, owner, []);
    const [sx, sy] = await Promise.all([on(nodes[1]!, x), on(nodes[2]!, y)]);
    const typing = [record(sx, 'typing'), record(sy, 'typing')];
    const joined = Promise.all([waitFor(sx, 'conversation:joined'), waitFor(sy, 'conversation:joined')]);
    await nodes[0]!.http
      .post(`/api/v1/groups/${group.id}/members`)
      .set(...bearer(owner))
      .send({ userIds: [x.id, y.id] })
      .expect(200);
    await joined;
    // Their sockets are in the conversation's room now: typing (a room broadcast) reaches them.
    const so = await on(nodes[0]!, owner);
    so.emit('typing', { conversationId: group.conversationId, typing: true }, () => undefined);
    await until(() => typing.every((t) => t.length === 1), 10_000, 'typing in the new room');

    const left = waitFor(sy, 'conversation:left');
    await nodes[0]!.http
      .delete(`/api/v1/groups/${group.id}/members/${y.id}`)
      .set(...bearer(owner))
      .expect(204);
    await left;
    so.emit('typing', { conversationId: group.conversationId, typing: false }, () => undefined);
    await until(() => typing[0]!.length === 2, 10_000, 'typing to who stayed');
    await new Promise((r) => setTimeout(r, 300));
    expect(typing[1]).toHaveLength(1);

    // A second session of x, connected to node 3, revoked through node 1.
    const session = await login(nodes[2]!, x);
    const onThree = await connect(nodes[2]!, session.accessToken);
    sockets.push(onThree);
    const dropped = waitFor(onThree, 'disconnect');
    await nodes[0]!.http
      .delete(`/api/v1/sessions/${session.sessionId}`)
      .set(...bearer(x))
      .expect(204);
    expect(await dropped).toBe('io server disconnect');
    expect(sx.connected).toBe(true);
  }, 60_000);

  it('an attachment uploaded through node 1 downloads through node 3', async () => {
    const [a, b] = await Promise.all([registerUser(nodes[0]!), registerUser(nodes[2]!)]);
    await befriend(nodes[0]!, a, b);
    const bytes = Buffer.from(`%PDF-1.4\n${randomUUID().repeat(1000)}`);
    const up = await nodes[0]!.http
      .post('/api/v1/attachments')
      .set(...bearer(a))
      .attach('file', bytes, 'plan.pdf')
      .expect(201);
    await nodes[1]!.http
      .post('/api/v1/messages')
      .set(...bearer(a))
      .send({ to: { type: 'user', id: b.id }, body: 'the plan', attachments: [{ id: up.body.id }] })
      .expect(201);
    const down = await nodes[2]!.http
      .get(`/api/v1/attachments/${up.body.id}`)
      .set(...bearer(b))
      .buffer(true)
      .parse(binaryBody)
      .expect(200);
    expect(Buffer.compare(down.body as Buffer, bytes)).toBe(0);
  });

  it('rolling restart of all three nodes one by one under steady load: nothing acked lost, every client caught up', async () => {
    const users = await Promise.all(Array.from({ length: 6 }, (_, i) => registerUser(nodes[i % 3]!)));
    const outsider = await registerUser(nodes[0]!);
    const room = (await createGroup(nodes[0]!, users[0]!, users.slice(1))).conversationId;
    const ledger = new Ledger();
    let alive = [...nodes];
    const chatters = users.map((u) => new Chatter(u, [room], () => alive, ledger));
    await Promise.all(chatters.map((c, i) => c.connect(i % 3)));
    let stop = false;
    const chatting = Promise.all(chatters.map((c) => c.chat(Number.MAX_SAFE_INTEGER, 20)));
    const stopper = (async () => {
      while (!stop) await new Promise((r) => setTimeout(r, 50));
      chatters.forEach((c) => c.finish());
    })();

    const acked: number[] = [];
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, LOAD_MS / 3));
      const old = nodes[i]!;
      alive = alive.filter((n) => n !== old);
      await old.close(); // SIGTERM: the drain.
      expect(await old.exited).toBe(0);
      const fresh = await startServerProcess(shared);
      nodes[i] = fresh;
      alive = [...alive, fresh];
      acked.push(ledger.ackedCount);
    }
    await new Promise((r) => setTimeout(r, LOAD_MS / 3));
    stop = true;
    await stopper;
    await chatting;

    const { violations, stored } = await catchUpAndCheck(
      nodes[0]!.http,
      ledger,
      new Map([[room, users]]),
      chatters,
      outsider,
    );
    console.info(
      `rolling restart: ${ledger.ackedCount} acked (${acked.join(', ')} at each restart), ${stored} stored, ${violations.length} violations`,
    );
    expect(violations).toEqual([]);
    expect(stored).toBe(ledger.ackedCount);
    expect(acked[0]).toBeGreaterThan(0);
    expect(ledger.ackedCount).toBeGreaterThan(acked[2]!);
  }, 180_000);

  it('kill -9 a node: its users show offline within PRESENCE_TTL_MS; its clients reconnect elsewhere and sync to every acked message', async () => {
    const [watcher, gone] = await Promise.all([registerUser(nodes[0]!), registerUser(nodes[1]!)]);
    await befriend(nodes[0]!, watcher, gone);
    const doomed = nodes[1]!;
    await on(doomed, gone);
    const watching = await on(nodes[0]!, watcher);
    const onlineOf = () => friendOnline(nodes[0]!, watcher, gone);
    expect(await onlineOf()).toBe(true);

    const users = await Promise.all(Array.from({ length: 4 }, (_, i) => registerUser(nodes[i % 3]!)));
    const outsider = await registerUser(nodes[0]!);
    const room = (await createGroup(nodes[0]!, users[0]!, users.slice(1))).conversationId;
    const ledger = new Ledger();
    let alive = [...nodes];
    const chatters = users.map((u) => new Chatter(u, [room], () => alive, ledger));
    await Promise.all(chatters.map((c) => c.connect(1))); // All on the node about to die.
    const until_ = Date.now() + LOAD_MS;
    const chatting = Promise.all(chatters.map((c) => c.chat(until_)));
    await new Promise((r) => setTimeout(r, LOAD_MS / 3));
    const told = waitFor<{ userId: string; online: boolean; lastSeenAt: string | null }>(
      watching,
      'presence',
      (p) => p.userId === gone.id && !p.online,
      PRESENCE_TTL_MS * 4,
    );
    doomed.process.kill('SIGKILL');
    const killedAt = Date.now();
    alive = alive.filter((n) => n !== doomed);
    await until(async () => !(await onlineOf()), PRESENCE_TTL_MS + 2000, 'offline after the kill');
    const offlineAfterMs = Date.now() - killedAt;
    // Friends are told too (by a surviving node), with when the user was last seen.
    expect((await told).lastSeenAt).not.toBeNull();
    const toldAfterMs = Date.now() - killedAt;
    await chatting;
    nodes[1] = await startServerProcess(shared);

    const { violations, stored } = await catchUpAndCheck(
      nodes[0]!.http,
      ledger,
      new Map([[room, users]]),
      chatters,
      outsider,
    );
    console.info(
      `kill -9 of one of three: offline after ${offlineAfterMs} ms, friends told after ${toldAfterMs} ms; ${ledger.ackedCount} acked, ${stored} stored, ${violations.length} violations`,
    );
    expect(offlineAfterMs).toBeLessThanOrEqual(PRESENCE_TTL_MS + 1000);
    expect(toldAfterMs).toBeLessThanOrEqual((PRESENCE_TTL_MS * 4) / 3 + 1500);
    expect(violations).toEqual([]);
    expect(stored).toBe(ledger.ackedCount);
  }, 120_000);
});

withServers('three nodes starting at the same moment on an empty database', () => {
  const nodes: ServerProcess[] = [];
  const name = `relay_fresh_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const admin = () => new pg.Client({ connectionString: process.env.DATABASE_URL });
  afterAll(async () => {
    for (const n of nodes) await n.close();
    const c = admin();
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
    await releaseTestDatabase();
  });

  it('run each migration once and all become ready', async () => {
    const c = admin();
    await c.connect();
    await c.query(`CREATE DATABASE ${name}`);
    await c.end();
    const url = new URL(process.env.DATABASE_URL!);
    url.pathname = `/${name}`;
    const env = { DATABASE_URL: url.toString(), REDIS_PREFIX: `relay-fresh:${randomUUID()}:` };
    nodes.push(...(await Promise.all([1, 2, 3].map(() => startServerProcess(env)))));
    for (const n of nodes) await n.http.get('/readyz').expect(200);
    const db = new pg.Client({ connectionString: url.toString() });
    await db.connect();
    const { rows } = await db.query<{ name: string; n: string }>(
      'SELECT name, count(*) AS n FROM migrations GROUP BY name',
    );
    await db.end();
    expect(rows.length).toBe(MIGRATIONS.length);
    expect(rows.every((r) => r.n === '1')).toBe(true);
  }, 120_000);
});
