import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { Socket } from 'socket.io-client';
import { releaseTestDatabase, startApp, type TestApp } from './support/app.js';
import { befriend, bearer, registerUser } from './support/factories.js';
import { WebhookReceiver } from './support/push-receivers.js';
import { call, connect, record, settle, until, waitFor } from './support/sockets.js';

/**
 * Two Relay nodes on one PostgreSQL server and one Redis, as behind a load balancer. Runs when
 * DATABASE_URL and REDIS_URL are set (as in CI): without Redis there is only ever one node, and
 * embedded PGlite serves one node only.
 */
const withRedis = process.env.REDIS_URL && process.env.DATABASE_URL ? describe : describe.skip;

withRedis('several nodes behind Redis', () => {
  let node1: TestApp;
  let node2: TestApp;
  let hook: WebhookReceiver;
  const sockets: Socket[] = [];
  const on = async (node: TestApp, token: string) => {
    const s = await connect(node, token);
    sockets.push(s);
    return s;
  };

  beforeAll(async () => {
    hook = await WebhookReceiver.start();
    const shared = {
      REDIS_PREFIX: `relay-mn:${randomUUID()}:`,
      NOTIFY_DELAY_MS: '300',
      NOTIFICATION_WEBHOOK_URL: hook.url,
      NOTIFICATION_WEBHOOK_SECRET: 'webhook-secret-0123456789',
    };
    node1 = await startApp(shared);
    node2 = await startApp(shared);
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await node1?.close();
    await node2?.close();
    await hook?.close();
    await releaseTestDatabase();
  });

  it('delivers across nodes exactly once and in seq order; presence and receipts cross too', async () => {
    const a = await registerUser(node1);
    const b = await registerUser(node2);
    await befriend(node1, a, b);
    const bSocket = await on(node2, b.accessToken);
    const presence = waitFor<{ userId: string; online: boolean }>(bSocket, 'presence');
    const aSocket = await on(node1, a.accessToken);
    expect(await presence).toMatchObject({ userId: a.id, online: true });
    const online = await node2.http
      .get('/api/v1/connections')
      .set(...bearer(b))
      .expect(200);
    expect(online.body.items[0]).toMatchObject({ userId: a.id, online: true });

    const got = record<{ seq: number }>(bSocket, 'message:new');
    const acks = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        call<{ seq: number; conversationId: string }>(aSocket, 'message:send', {
          to: { type: 'user', id: b.id },
          body: `m${i}`,
          clientMsgId: randomUUID(),
        }),
      ),
    );
    await until(() => got.length === 50, 10_000, '50 messages on the other node');
    // One more message marks the end: a duplicate of the 50 would have arrived before it.
    await call(aSocket, 'message:send', {
      to: { type: 'user', id: b.id },
      body: 'marker',
      clientMsgId: randomUUID(),
    });
    await until(() => got.length >= 51, 10_000, 'the marker');
    expect(got.map((m) => m.seq)).toEqual(Array.from({ length: 51 }, (_, i) => i + 1));
    const conversationId = acks[0]!.ok ? acks[0]!.data.conversationId : '';

    const receipt = waitFor<{ readSeq: number }>(aSocket, 'receipt');
    await call(bSocket, 'conversation:read', { conversationId, seq: 50 });
    expect((await receipt).readSeq).toBe(50);
  });

  it('membership changes made on one node take effect on sockets of the other at once', async () => {
    const owner = await registerUser(node1);
    const member = await registerUser(node1);
    const group = (
      await node1.http
        .post('/api/v1/groups')
        .set(...bearer(owner))
        .send({ name: 'Cross', memberIds: [member.id] })
        .expect(201)
    ).body;
    // A second group the member stays in, to carry a message that must arrive.
    const other = (
      await node1.http
        .post('/api/v1/groups')
        .set(...bearer(owner))
        .send({ name: 'Stays', memberIds: [member.id] })
        .expect(201)
    ).body;
    const ownerSocket = await on(node1, owner.accessToken);
    const memberSocket = await on(node2, member.accessToken);
    const first = waitFor<{ body: string }>(memberSocket, 'message:new');
    await call(ownerSocket, 'message:send', {
      to: { type: 'group', id: group.id },
      body: 'before',
      clientMsgId: randomUUID(),
    });
    expect((await first).body).toBe('before');

    const left = waitFor(memberSocket, 'conversation:left');
    await node1.http
      .delete(`/api/v1/groups/${group.id}/members/${member.id}`)
      .set(...bearer(owner))
      .expect(204);
    await left;
    const after = record<{ body: string }>(memberSocket, 'message:new');
    // Sent through node 2, whose cache held the old member list.
    const ownerOn2 = await on(node2, owner.accessToken);
    const sent = await call(ownerOn2, 'message:send', {
      to: { type: 'group', id: group.id },
      body: 'after',
      clientMsgId: randomUUID(),
    });
    expect(sent).toMatchObject({ ok: true, data: { body: 'after' } });
    const marker = waitFor<{ body: string }>(memberSocket, 'message:new');
    await call(ownerOn2, 'message:send', {
      to: { type: 'group', id: other.id },
      body: 'marker',
      clientMsgId: randomUUID(),
    });
    expect((await marker).body).toBe('marker');
    expect(after.map((m) => m.body)).toEqual(['marker']);
  });

  it('logout on one node disconnects the session’s sockets on the other', async () => {
    const u = await registerUser(node1);
    const s = await on(node2, u.accessToken);
    const revoked = waitFor(s, 'session:revoked');
    const gone = new Promise((resolve) => s.on('disconnect', resolve));
    await node1.http
      .post('/api/v1/auth/logout')
      .set(...bearer(u))
      .expect(204);
    await revoked;
    await gone;
  });

  it('a ws ticket issued on one node is spent on every node', async () => {
    const u = await registerUser(node1);
    const ticket = (
      await node1.http
        .get('/api/v1/auth/ws-token')
        .set(...bearer(u))
        .expect(200)
    ).body.token as string;
    await on(node2, ticket);
    await expect(connect(node1, ticket)).rejects.toThrow('UNAUTHORIZED');
  });

  it('a block on one node stops direct sends on the other at once, and a new friendship allows them at once', async () => {
    const a = await registerUser(node1);
    const b = await registerUser(node1);
    await befriend(node1, a, b);
    const aOn2 = await on(node2, a.accessToken);
    const send = (body: string) =>
      call<{ conversationId: string }>(aOn2, 'message:send', {
        to: { type: 'user', id: b.id },
        body,
        clientMsgId: randomUUID(),
      });
    expect((await send('before')).ok).toBe(true); // node 2 now holds the relation in its cache
    await node1.http
      .post(`/api/v1/blocks/${a.id}`)
      .set(...bearer(b))
      .expect(201);
    // The invalidation crosses Redis after the answer: allow it a moment, then it must hold.
    for (let i = 0; i < 50 && (await send('blocked?')).ok; i++) await settle(20);
    expect(await send('after the block')).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    await node1.http
      .delete(`/api/v1/blocks/${a.id}`)
      .set(...bearer(b))
      .expect(204);
    // Unblocked but no longer friends (the block ended the friendship): DM_POLICY=friends refuses.
    expect(await send('after the unblock')).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    // A refusal node 2 holds in its cache is confirmed with the database before it is answered: a
    // friendship made on node 1 counts at once, before its invalidation has crossed Redis.
    await befriend(node1, a, b);
    expect((await send('friends again')).ok).toBe(true);
  });

  it('a user active on another node is not notified; one whose socket there is inactive is', async () => {
    const a = await registerUser(node1);
    const [watching, away] = [await registerUser(node2), await registerUser(node2)];
    await befriend(node1, a, watching);
    await befriend(node1, a, away);
    await on(node2, watching.accessToken);
    const awaySocket = await on(node2, away.accessToken);
    expect((await call(awaySocket, 'session:state', { state: 'inactive' })).ok).toBe(true);
    for (const to of [watching, away])
      await node1.http
        .post('/api/v1/messages')
        .set(...bearer(a))
        .send({ to: { type: 'user', id: to.id }, body: 'across nodes' })
        .expect(201);
    const userOf = (r: { body: Buffer }) => (JSON.parse(r.body.toString()) as { userId: string }).userId;
    await hook.waitFor(1, (r) => userOf(r) === away.id);
    await settle(1500);
    expect(hook.received.filter((r) => userOf(r) === watching.id)).toHaveLength(0);
    expect(hook.received.filter((r) => userOf(r) === away.id)).toHaveLength(1);
  });
});
