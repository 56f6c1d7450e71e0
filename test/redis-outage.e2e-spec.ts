import { afterAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { createServer, type Socket as TcpSocket } from 'node:net';
import { releaseTestDatabase, startApp, type TestApp } from './support/app.js';
import { bearer, createGroup, registerUser } from './support/factories.js';
import { PrivateRedis } from './support/redis-server.js';
import { call, connect, record, socketPool, until } from './support/sockets.js';

/**
 * Redis away: what can work on one node keeps working (sends, delivery to the node's own sockets,
 * handshakes, rate limits from memory), what cannot be done safely without it (single-use
 * tickets) answers SERVICE_UNAVAILABLE at once, and everything recovers by itself when it returns.
 */
const withServers = process.env.DATABASE_URL && process.env.REDIS_URL ? describe : describe.skip;

withServers('Redis outages', () => {
  const nodes: TestApp[] = [];
  const sockets = socketPool();
  let redis: PrivateRedis | null = null;
  afterAll(async () => {
    for (const n of nodes) await n.close();
    await redis?.kill();
    await releaseTestDatabase();
  });

  it('while Redis is down a node keeps sending and delivering locally, refuses what needs Redis at once, and catches up when it returns', async () => {
    redis = await PrivateRedis.start();
    const shared = {
      REDIS_URL: redis.url,
      REDIS_PREFIX: `relay-outage:${randomUUID()}:`,
      RATE_LIMIT_MESSAGES_PER_SEC: '50',
    };
    nodes.push(await startApp(shared), await startApp(shared));
    const [one, two] = nodes as [TestApp, TestApp];
    const [a, b, c, d] = await Promise.all([
      registerUser(one),
      registerUser(one),
      registerUser(two),
      registerUser(two),
    ]);
    const group = await createGroup(one, a, [b, c, d]);
    const room = group.conversationId;
    // Node two has d's membership cached: d reads there.
    await two.http
      .get(`/api/v1/conversations/${room}/messages`)
      .set(...bearer(d))
      .expect(200);
    const [sa, sb, sc] = await Promise.all([
      sockets.open(one, a.accessToken),
      sockets.open(one, b.accessToken),
      sockets.open(two, c.accessToken),
    ]);
    const atB = record<{ seq: number }>(sb, 'message:new');
    const atC = record<{ seq: number }>(sc, 'message:new');

    await redis.kill();

    // Sends go on, and this node's own sockets hear them.
    const started = Date.now();
    const ack = await call<{ seq: number }>(sa, 'message:send', {
      conversationId: room,
      body: 'while Redis is down',
      clientMsgId: randomUUID(),
    });
    expect(ack).toMatchObject({ ok: true, data: { seq: 1 } });
    // Rate limits are counted in memory meanwhile.
    expect(Date.now() - started).toBeLessThan(3000);
    await until(() => atB.length === 1, 5000, 'local delivery');

    // A single-use ticket cannot be promised single without Redis: refused at once, not waited on.
    const ticket = await one.http
      .get('/api/v1/auth/ws-token')
      .set(...bearer(a))
      .expect(200);
    const refusedAt = Date.now();
    await expect(sockets.open(one, ticket.body.token as string)).rejects.toThrow('SERVICE_UNAVAILABLE');
    expect(Date.now() - refusedAt).toBeLessThan(1000);
    await one.http.get('/readyz').expect(503);

    // d is removed on node one; node two cannot hear it, so it no longer trusts what it cached.
    await one.http
      .delete(`/api/v1/groups/${group.id}/members/${d.id}`)
      .set(...bearer(a))
      .expect(204);
    await two.http
      .get(`/api/v1/conversations/${room}/messages`)
      .set(...bearer(d))
      .expect(404);

    // A new connection is admitted (its presence kept locally until Redis returns).
    const late = await sockets.open(one, (await registerUser(one)).accessToken);
    expect(late.connected).toBe(true);

    await redis.up();
    await until(async () => (await one.http.get('/readyz')).status === 200, 10_000, 'readiness');
    const after = await call<{ seq: number }>(sa, 'message:send', {
      conversationId: room,
      body: 'after',
      clientMsgId: randomUUID(),
    });
    expect(after).toMatchObject({ ok: true, data: { seq: 2 } });
    // The other node hears the new message, and the one it missed first, in order.
    await until(() => atC.length === 2, 10_000, 'delivery on the other node');
    expect(atC.map((m) => m.seq)).toEqual([1, 2]);
  }, 60_000);
});

withServers('Redis outages: shutting down', () => {
  let redis: PrivateRedis | null = null;
  afterAll(async () => {
    await redis?.kill();
    await releaseTestDatabase();
  });

  it('a node closes promptly while Redis is away', async () => {
    redis = await PrivateRedis.start();
    const node = await startApp({ REDIS_URL: redis.url, REDIS_PREFIX: `relay-outage:${randomUUID()}:` });
    const a = await registerUser(node);
    const socket = await connect(node, a.accessToken);
    await redis.kill();
    const started = Date.now();
    await node.close();
    expect(Date.now() - started).toBeLessThan(5000);
    socket.close();
  }, 30_000);

  it('a node closes cleanly while its reconnections to Redis are in flight', async () => {
    redis = await PrivateRedis.start();
    const node = await startApp({ REDIS_URL: redis.url, REDIS_PREFIX: `relay-outage:${randomUUID()}:` });
    const a = await registerUser(node);
    const socket = await connect(node, a.accessToken);
    await redis.kill();
    // Something takes Redis's port and never answers: each of the node's four connections (commands,
    // bus, Socket.IO adapter's publisher and subscriber) is caught in the middle of reconnecting,
    // where a closing connection fails whatever it had queued.
    const accepted: TcpSocket[] = [];
    const silent = createServer((c) => accepted.push(c)).listen(redis.port, '127.0.0.1');
    try {
      await until(() => accepted.length >= 4, 10_000, 'the node reconnecting');
      const started = Date.now();
      await node.close();
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      socket.close();
      for (const c of accepted) c.destroy();
      await new Promise((r) => silent.close(r));
    }
  }, 30_000);
});
