import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { MessageDto } from '../src/messaging/dto/message.dto.js';
import { MessageStore } from '../src/messaging/message.store.js';
import { releaseTestDatabase, startApp, type TestApp } from './support/app.js';
import { befriend, bearer, registerUser, type TestUser } from './support/factories.js';
import { call, record, socketPool, until, waitFor } from './support/sockets.js';

type Msg = MessageDto;

describe('messaging: delivery, idempotency, order, offline sync, durability', () => {
  let t: TestApp;
  const sockets = socketPool();
  const open = (u: TestUser) => sockets.open(t, u.accessToken);
  const device = async (u: TestUser) => {
    const res = await t.http
      .post('/api/v1/auth/login')
      .send({ username: u.username, password: u.password })
      .expect(200);
    return { ...u, accessToken: res.body.accessToken as string, sessionId: res.body.sessionId as string };
  };
  const pair = async () => {
    const a = await registerUser(t);
    const b = await registerUser(t);
    await befriend(t, a, b);
    return { a, b };
  };

  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(async () => {
    await t?.close();
    await releaseTestDatabase();
  });

  it('a message from device A1 reaches B1, B2 and A2 exactly once; A1 gets it in its ack', async () => {
    const { a, b } = await pair();
    const [a1, a2, b1, b2] = await Promise.all([
      open(a),
      open(await device(a)),
      open(b),
      open(await device(b)),
    ]);
    const seen = {
      a1: record<Msg>(a1, 'message:new'),
      a2: record<Msg>(a2, 'message:new'),
      b1: record<Msg>(b1, 'message:new'),
      b2: record<Msg>(b2, 'message:new'),
    };

    const ack = await call<Msg>(a1, 'message:send', {
      to: { type: 'user', id: b.id },
      body: 'hello',
      clientMsgId: randomUUID(),
    });
    expect(ack.ok).toBe(true);
    if (!ack.ok) return;
    expect(ack.data).toMatchObject({
      senderId: a.id,
      body: 'hello',
      seq: 1,
      type: 'text',
      attachments: [],
      editedAt: null,
      deletedAt: null,
    });

    // A second message, from A's other device, marks the end of the first one's delivery.
    const marker = await call<Msg>(a2, 'message:send', {
      to: { type: 'user', id: b.id },
      body: 'marker',
      clientMsgId: randomUUID(),
    });
    if (!marker.ok) throw new Error('marker refused');
    await until(
      () => seen.a1.length + seen.b1.length + seen.b2.length >= 5,
      5000,
      'three deliveries and the marker',
    );
    expect(seen).toEqual({
      a1: [marker.data],
      a2: [ack.data],
      b1: [ack.data, marker.data],
      b2: [ack.data, marker.data],
    });

    const stored = await t.http
      .get(`/api/v1/conversations/${ack.data.conversationId}/messages`)
      .set(...bearer(b))
      .expect(200);
    expect(stored.body).toEqual({ items: [ack.data, marker.data], hasMore: false });
  });

  it('the same clientMsgId (sequential, concurrent, REST) stores one message; another sender may reuse it', async () => {
    const { a, b } = await pair();
    const [a1, b1] = await Promise.all([open(a), open(b)]);
    const received = record<Msg>(b1, 'message:new');
    const clientMsgId = randomUUID();
    const payload = { to: { type: 'user', id: b.id }, body: 'once', clientMsgId };

    const acks = await Promise.all(Array.from({ length: 5 }, () => call<Msg>(a1, 'message:send', payload)));
    const again = await call<Msg>(a1, 'message:send', payload);
    const ids = new Set([...acks, again].map((x) => (x.ok ? x.data.id : `error:${x.error.code}`)));
    expect(ids.size).toBe(1);
    expect([...ids][0]).not.toMatch(/^error/);

    const rest = await t.http
      .post('/api/v1/messages')
      .set(...bearer(a))
      .send(payload)
      .expect(200);
    expect(rest.body.id).toBe([...ids][0]);

    // B reuses A's clientMsgId: a message of its own.
    const theirs = await call<Msg>(b1, 'message:send', {
      to: { type: 'user', id: a.id },
      body: 'mine',
      clientMsgId,
    });
    expect(theirs.ok && theirs.data.seq).toBe(2);

    // A's next message marks the end of every earlier delivery to B's socket.
    const marker = waitFor<Msg>(b1, 'message:new', (m) => m.body === 'marker');
    await call(a1, 'message:send', {
      to: { type: 'user', id: b.id },
      body: 'marker',
      clientMsgId: randomUUID(),
    });
    await marker;
    expect(received.filter((m) => m.clientMsgId === clientMsgId && m.senderId === a.id)).toHaveLength(1);
    const history = await t.http
      .get('/api/v1/messages')
      .query({ with: b.id })
      .set(...bearer(a))
      .expect(200);
    expect(history.body.items.map((m: Msg) => m.body)).toEqual(['once', 'mine', 'marker']);
  });

  it('10 concurrent senders × 100 messages: seq 1..1000 with no gap or duplicate, and every reader sees seq order', async () => {
    const { a, b } = await pair();
    const senders = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => open(await device(i % 2 === 0 ? a : b))),
    );
    const readerA = await open(await device(a));
    const readerB = await open(await device(b));
    const seenA = record<Msg>(readerA, 'message:new');
    const seenB = record<Msg>(readerB, 'message:new');

    const first = await call<Msg>(senders[0]!, 'message:send', {
      to: { type: 'user', id: b.id },
      body: 'start',
      clientMsgId: randomUUID(),
    });
    if (!first.ok) throw new Error(first.error.message);
    const conversationId = first.data.conversationId;

    const acks = await Promise.all(
      senders.map(async (s, i) => {
        const mine = [];
        for (let n = 0; n < 100; n++) {
          mine.push(
            call<Msg>(
              s,
              'message:send',
              { conversationId, body: `s${i}-${n}`, clientMsgId: randomUUID() },
              60_000,
            ),
          );
        }
        return Promise.all(mine);
      }),
    );
    const seqs = acks.flat().map((x) => (x.ok ? x.data.seq : -1));
    expect(acks.flat().filter((x) => !x.ok)).toEqual([]);
    expect([...seqs, 1].sort((x, y) => x - y)).toEqual(Array.from({ length: 1001 }, (_, i) => i + 1));

    await until(() => seenA.length === 1001 && seenB.length === 1001, 30_000, 'all deliveries');
    for (const seen of [seenA, seenB])
      expect(seen.map((m) => m.seq)).toEqual(Array.from({ length: 1001 }, (_, i) => i + 1));

    const stored = await t.http
      .post('/api/v1/sync')
      .set(...bearer(a))
      .send({ cursors: { [conversationId]: 900 } })
      .expect(200);
    expect(stored.body.conversations[0].messages.map((m: Msg) => m.seq)).toEqual(
      Array.from({ length: 100 }, (_, i) => 901 + i),
    );
  }, 120_000);

  it('a message committed but never announced (its node died in between) still reaches readers live, in seq order, once', async () => {
    const { a, b } = await pair();
    const [a1, b1] = await Promise.all([open(a), open(b)]);
    const seen = record<Msg>(b1, 'message:new');
    const first = await call<Msg>(a1, 'message:send', {
      to: { type: 'user', id: b.id },
      body: 'one',
      clientMsgId: randomUUID(),
    });
    if (!first.ok) throw new Error(first.error.message);
    const conversationId = first.data.conversationId;
    await until(() => seen.length === 1, 5_000, 'the first delivery');
    // Committed by the store alone, as by a node that dies before it publishes.
    const [silent] = await t.app.get(MessageStore).append([
      {
        conversationId,
        senderId: a.id,
        appId: null,
        type: 'text',
        body: 'two',
        attachments: [],
        clientMsgId: null,
      },
    ]);
    expect(silent).toMatchObject({ kind: 'stored', message: { seq: 2 } });
    const third = await call<Msg>(a1, 'message:send', {
      conversationId,
      body: 'three',
      clientMsgId: randomUUID(),
    });
    expect(third).toMatchObject({ ok: true, data: { seq: 3 } });

    await until(() => seen.length === 3, 10_000, 'the recovered and the held message');
    expect(seen.map((m) => [m.seq, m.body])).toEqual([
      [1, 'one'],
      [2, 'two'],
      [3, 'three'],
    ]);
  }, 30_000);

  it('offline: B misses 50 messages; on return, sync brings exactly those, in order, and pages via hasMore', async () => {
    const { a, b } = await pair();
    const a1 = await open(a);
    let b1 = await open(b);
    const arrived = waitFor<Msg>(b1, 'message:new');
    const hello = await call<Msg>(a1, 'message:send', {
      to: { type: 'user', id: b.id },
      body: 'before',
      clientMsgId: randomUUID(),
    });
    if (!hello.ok) throw new Error('send failed');
    await arrived;
    const cursor = hello.data.seq;
    b1.close();

    const sent: Msg[] = [];
    for (let i = 0; i < 50; i++) {
      const ack = await call<Msg>(a1, 'message:send', {
        conversationId: hello.data.conversationId,
        body: `while away ${i}`,
        clientMsgId: randomUUID(),
      });
      if (ack.ok) sent.push(ack.data);
    }
    expect(sent).toHaveLength(50);

    b1 = await open(b);
    const synced = await call<{
      conversations: { conversationId: string; messages: Msg[]; hasMore: boolean }[];
    }>(b1, 'sync', {
      cursors: { [hello.data.conversationId]: cursor },
    });
    expect(synced.ok).toBe(true);
    if (!synced.ok) return;
    expect(synced.data.conversations).toHaveLength(1);
    expect(synced.data.conversations[0]!.messages).toEqual(sent);
    expect(synced.data.conversations[0]!.hasMore).toBe(false);

    // Small pages: follow hasMore with the last seq as the new cursor.
    const paged: Msg[] = [];
    let after = cursor;
    for (;;) {
      const page = await t.http
        .post('/api/v1/sync')
        .set(...bearer(b))
        .send({ cursors: { [hello.data.conversationId]: after }, limit: 7 })
        .expect(200);
      const entry = page.body.conversations[0];
      if (!entry) break;
      paged.push(...entry.messages);
      after = entry.messages.at(-1).seq;
      if (!entry.hasMore) break;
    }
    expect(paged).toEqual(sent);

    // A conversation not named in the cursors starts at 0.
    const everything = await t.http
      .post('/api/v1/sync')
      .set(...bearer(b))
      .send({})
      .expect(200);
    expect(everything.body.conversations[0].messages).toHaveLength(51);
  });

  it('an acknowledged message is committed: it survives a restart right after the ack', async () => {
    const { a, b } = await pair();
    const a1 = await open(a);
    const ack = await call<Msg>(a1, 'message:send', {
      to: { type: 'user', id: b.id },
      body: 'durable',
      clientMsgId: randomUUID(),
    });
    a1.close();
    await t.close();
    t = await startApp();
    expect(ack.ok).toBe(true);
    if (!ack.ok) return;
    const read = await t.http
      .get(`/api/v1/conversations/${ack.data.conversationId}/messages`)
      .set(...bearer(b))
      .expect(200);
    expect(read.body.items).toEqual([ack.data]);
    // And a retry after the restart is still recognised.
    const retry = await t.http
      .post('/api/v1/messages')
      .set(...bearer(a))
      .send({ to: { type: 'user', id: b.id }, body: 'durable', clientMsgId: ack.data.clientMsgId })
      .expect(200);
    expect(retry.body.id).toBe(ack.data.id);
  });
});
