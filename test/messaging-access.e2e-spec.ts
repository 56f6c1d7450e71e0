import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { releaseTestDatabase, startApp, type TestApp } from './support/app.js';
import { befriend, bearer, registerUser, type TestUser } from './support/factories.js';
import { call, connect, record, settle, socketPool, waitFor } from './support/sockets.js';

interface Msg {
  id: string;
  conversationId: string;
  seq: number;
  body: string;
}

describe('messaging: who may read and send, and bad input', () => {
  let t: TestApp;
  const sockets = socketPool();
  const open = (u: TestUser, origin?: string) => sockets.open(t, u.accessToken, origin ? { origin } : {});
  const pair = async () => {
    const a = await registerUser(t);
    const b = await registerUser(t);
    await befriend(t, a, b);
    return { a, b };
  };
  const lastSeq = async (u: TestUser, conversationId: string) =>
    (
      (
        await t.http
          .get(`/api/v1/conversations/${conversationId}/messages`)
          .set(...bearer(u))
          .expect(200)
      ).body.items as Msg[]
    ).at(-1)?.seq ?? 0;

  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(async () => {
    await t?.close();
    await releaseTestDatabase();
  });

  describe('handshake', () => {
    it('refuses missing, invalid and revoked tokens with connect_error UNAUTHORIZED', async () => {
      const u = await registerUser(t);
      await expect(connect(t, null)).rejects.toThrow('UNAUTHORIZED');
      await expect(connect(t, 'garbage')).rejects.toThrow('UNAUTHORIZED');
      await expect(connect(t, u.refreshToken)).rejects.toThrow('UNAUTHORIZED');
      await expect(connect(t, null, { auth: { token: 42 } })).rejects.toThrow('UNAUTHORIZED');
      const other = await registerUser(t);
      await t.http
        .post('/api/v1/auth/logout')
        .set(...bearer(other))
        .expect(204);
      await expect(connect(t, other.accessToken)).rejects.toThrow('UNAUTHORIZED');
    });

    it('accepts a ws ticket exactly once', async () => {
      const u = await registerUser(t);
      const ticket = (
        await t.http
          .get('/api/v1/auth/ws-token')
          .set(...bearer(u))
          .expect(200)
      ).body.token as string;
      const s = await sockets.open(t, ticket);
      expect(s.connected).toBe(true);
      await expect(connect(t, ticket)).rejects.toThrow('UNAUTHORIZED');
    });

    it('refuses browser origins outside the allowlist; servers without Origin pass on the token', async () => {
      const u = await registerUser(t);
      await expect(connect(t, u.accessToken, { origin: 'https://evil.example' })).rejects.toThrow(
        'FORBIDDEN_ORIGIN',
      );
      expect((await open(u, 'http://localhost:5173')).connected).toBe(true);
      expect((await open(u)).connected).toBe(true);
    });

    it('logout sends session:revoked, then disconnects that session’s sockets only', async () => {
      const u = await registerUser(t);
      const login = await t.http
        .post('/api/v1/auth/login')
        .send({ username: u.username, password: u.password })
        .expect(200);
      const mine = await open(u);
      const otherDevice = await open({ ...u, accessToken: login.body.accessToken });
      const revoked = waitFor<{ sessionId: string }>(mine, 'session:revoked');
      const gone = new Promise<string>((resolve) => mine.on('disconnect', resolve));
      await t.http
        .post('/api/v1/auth/logout')
        .set(...bearer(u))
        .expect(204);
      expect(await revoked).toEqual({ sessionId: u.sessionId });
      expect(await gone).toBe('io server disconnect');
      // The other session's socket still answers.
      expect(await call(otherDevice, 'sync', {})).toMatchObject({ ok: true });
      expect(otherDevice.connected).toBe(true);
    });
  });

  it('a third user can neither read, sync, join, send into nor change the conversation, and receives nothing', async () => {
    const { a, b } = await pair();
    const c = await registerUser(t);
    const [a1, c1] = await Promise.all([open(a), open(c)]);
    const cSees = [
      ...['message:new', 'message:updated', 'message:deleted', 'typing', 'receipt'].map((e) => record(c1, e)),
    ];

    const ack = await call<Msg>(a1, 'message:send', {
      to: { type: 'user', id: b.id },
      body: 'private',
      clientMsgId: randomUUID(),
    });
    if (!ack.ok) throw new Error('send failed');
    const conv = ack.data.conversationId;

    await t.http
      .get(`/api/v1/conversations/${conv}/messages`)
      .set(...bearer(c))
      .expect(404);
    await t.http
      .post(`/api/v1/conversations/${conv}/read`)
      .set(...bearer(c))
      .send({ seq: 1 })
      .expect(404);
    const sync = await t.http
      .post('/api/v1/sync')
      .set(...bearer(c))
      .send({ cursors: { [conv]: 0 } })
      .expect(200);
    expect(sync.body.conversations).toEqual([]);
    expect(
      (
        await t.http
          .get('/api/v1/conversations')
          .set(...bearer(c))
          .expect(200)
      ).body.items,
    ).toEqual([]);

    // Naming the room does nothing: rooms are decided by the server.
    c1.emit('join', `conv:${conv}`);
    c1.emit('subscribe', { conversationId: conv });
    const send = await call(c1, 'message:send', {
      conversationId: conv,
      body: 'intrude',
      clientMsgId: randomUUID(),
    });
    expect(send).toEqual({ ok: false, error: { code: 'NOT_FOUND', message: 'Conversation not found' } });
    expect(await call(c1, 'typing', { conversationId: conv, typing: true })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
    expect(await call(c1, 'conversation:read', { conversationId: conv, seq: 1 })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
    expect(await call(c1, 'message:edit', { messageId: ack.data.id, body: 'hijack' })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
    expect(await call(c1, 'message:delete', { messageId: ack.data.id })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
    await t.http
      .patch(`/api/v1/messages/${ack.data.id}`)
      .set(...bearer(c))
      .send({ body: 'hijack' })
      .expect(404);
    await t.http
      .delete(`/api/v1/messages/${ack.data.id}`)
      .set(...bearer(c))
      .expect(404);

    // The other member may not edit or delete the sender's message either.
    await t.http
      .patch(`/api/v1/messages/${ack.data.id}`)
      .set(...bearer(b))
      .send({ body: 'hijack' })
      .expect(403);
    await t.http
      .delete(`/api/v1/messages/${ack.data.id}`)
      .set(...bearer(b))
      .expect(403);

    await call(a1, 'message:send', {
      conversationId: conv,
      body: 'still private',
      clientMsgId: randomUUID(),
    });
    await call(a1, 'message:edit', { messageId: ack.data.id, body: 'edited' });
    await call(a1, 'typing', { conversationId: conv, typing: true });
    await settle(400);
    for (const list of cSees) expect(list).toEqual([]);
    const read = await t.http
      .get(`/api/v1/conversations/${conv}/messages`)
      .set(...bearer(b))
      .expect(200);
    expect(read.body.items.map((m: Msg) => m.body)).toEqual(['edited', 'still private']);
  });

  it('DM_POLICY=friends refuses strangers; blocks stop direct messages both ways, even in an existing conversation', async () => {
    const { a, b } = await pair();
    const stranger = await registerUser(t);
    const res = await t.http
      .post('/api/v1/messages')
      .set(...bearer(stranger))
      .send({ to: { type: 'user', id: a.id }, body: 'hi' })
      .expect(403);
    expect(res.body.code).toBe('FORBIDDEN');

    const first = await t.http
      .post('/api/v1/messages')
      .set(...bearer(a))
      .send({ to: { type: 'user', id: b.id }, body: 'hi' })
      .expect(201);
    await t.http
      .post(`/api/v1/blocks/${a.id}`)
      .set(...bearer(b))
      .expect(201);
    await t.http
      .post('/api/v1/messages')
      .set(...bearer(a))
      .send({ to: { type: 'user', id: b.id }, body: 'x' })
      .expect(403);
    await t.http
      .post('/api/v1/messages')
      .set(...bearer(b))
      .send({ to: { type: 'user', id: a.id }, body: 'x' })
      .expect(403);
    await t.http
      .post('/api/v1/messages')
      .set(...bearer(a))
      .send({ conversationId: first.body.conversationId, body: 'x' })
      .expect(403);
    const a1 = await open(a);
    expect(
      await call(a1, 'message:send', {
        conversationId: first.body.conversationId,
        body: 'x',
        clientMsgId: randomUUID(),
      }),
    ).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
    expect(await lastSeq(a, first.body.conversationId)).toBe(1);
  });

  it('DM_POLICY=anyone lets strangers talk, but not through a block', async () => {
    const open2 = await startApp({ DM_POLICY: 'anyone' });
    try {
      const a = await registerUser(open2);
      const b = await registerUser(open2);
      await open2.http
        .post('/api/v1/messages')
        .set(...bearer(a))
        .send({ to: { type: 'user', id: b.id }, body: 'hello stranger' })
        .expect(201);
      await open2.http
        .post(`/api/v1/blocks/${a.id}`)
        .set(...bearer(b))
        .expect(201);
      await open2.http
        .post('/api/v1/messages')
        .set(...bearer(a))
        .send({ to: { type: 'user', id: b.id }, body: 'again' })
        .expect(403);
    } finally {
      await open2.close();
    }
  });

  describe('bad input: documented codes, socket stays up, nothing stored changes', () => {
    it.each([
      ['missing body', { to: 'B' }, 'VALIDATION_FAILED', 'body'],
      ['body of wrong type', { to: 'B', body: 42 }, 'VALIDATION_FAILED', 'body'],
      ['empty body', { to: 'B', body: '   ' }, 'VALIDATION_FAILED', 'body'],
      ['body over the limit', { to: 'B', body: 'x'.repeat(4001) }, 'VALIDATION_FAILED', 'body'],
      ['unknown field', { to: 'B', body: 'x', admin: true }, 'VALIDATION_FAILED', 'admin'],
      ['missing clientMsgId', { to: 'B', body: 'x', clientMsgId: null }, 'VALIDATION_FAILED', 'clientMsgId'],
      [
        'overlong clientMsgId',
        { to: 'B', body: 'x', clientMsgId: 'c'.repeat(129) },
        'VALIDATION_FAILED',
        'clientMsgId',
      ],
      ['bad recipient type', { to: { type: 'planet', id: 'B' }, body: 'x' }, 'VALIDATION_FAILED', 'to.type'],
      [
        'recipient id not a uuid',
        { to: { type: 'user', id: 'bob' }, body: 'x' },
        'VALIDATION_FAILED',
        'to.id',
      ],
      ['both to and conversationId', { to: 'B', conversationId: 'C', body: 'x' }, 'VALIDATION_FAILED', 'to'],
      ['neither to nor conversationId', { body: 'x' }, 'VALIDATION_FAILED', 'to'],
      ['unknown conversation', { conversationId: randomUUID(), body: 'x' }, 'NOT_FOUND', null],
      ['unknown user', { to: { type: 'user', id: randomUUID() }, body: 'x' }, 'NOT_FOUND', null],
      ['message type system', { to: 'B', body: 'x', type: 'system' }, 'VALIDATION_FAILED', 'type'],
      [
        'attachment not uploaded by the sender',
        { to: 'B', body: 'x', attachments: [{ id: randomUUID() }] },
        'VALIDATION_FAILED',
        'attachments',
      ],
      [
        'too many attachments',
        { to: 'B', body: 'x', attachments: Array.from({ length: 11 }, () => ({ id: randomUUID() })) },
        'VALIDATION_FAILED',
        'attachments',
      ],
    ])('%s: refused on the socket and over REST', async (_name, raw, code, field) => {
      const { a, b } = await pair();
      const conv = (
        await t.http
          .post('/api/v1/messages')
          .set(...bearer(a))
          .send({ to: { type: 'user', id: b.id }, body: 'seed' })
          .expect(201)
      ).body.conversationId as string;
      const fill = (v: unknown): unknown => (v === 'B' ? { type: 'user', id: b.id } : v === 'C' ? conv : v);
      const payload: Record<string, unknown> = { clientMsgId: randomUUID() };
      for (const [k, v] of Object.entries(raw)) payload[k] = fill(v);
      if (payload.clientMsgId === null) delete payload.clientMsgId;

      const a1 = await open(a);
      const ack = await call(a1, 'message:send', payload);
      expect(ack.ok).toBe(false);
      if (ack.ok) return;
      expect(ack.error.code).toBe(code);
      if (field)
        expect((ack.error.details as { fields: { field: string }[] }).fields.map((f) => f.field)).toContain(
          field,
        );
      expect(a1.connected).toBe(true);

      // REST answers the same way (clientMsgId is optional there).
      const restBody = { ...payload };
      if (field === 'clientMsgId') delete restBody.clientMsgId;
      const rest = await t.http
        .post('/api/v1/messages')
        .set(...bearer(a))
        .send(restBody);
      if (field !== 'clientMsgId') {
        expect(rest.body.code).toBe(code);
        expect(rest.status).toBe(code === 'NOT_FOUND' ? 404 : 400);
      }
      expect(await lastSeq(a, conv)).toBe(field === 'clientMsgId' ? 2 : 1);
      // Still usable afterwards.
      expect(
        (await call(a1, 'message:send', { conversationId: conv, body: 'ok', clientMsgId: randomUUID() })).ok,
      ).toBe(true);
    });

    it('non-object payloads, bad payloads of every event and unknown events are refused with VALIDATION_FAILED', async () => {
      const u = await registerUser(t);
      const s = await open(u);
      for (const [event, payload] of [
        ['message:send', 'hello'],
        ['message:send', null],
        ['message:send', [1, 2]],
        ['message:edit', { messageId: 'nope', body: 'x' }],
        ['message:edit', { messageId: randomUUID() }],
        ['message:delete', {}],
        ['conversation:read', { conversationId: randomUUID(), seq: -1 }],
        ['conversation:read', { conversationId: randomUUID(), seq: '5' }],
        ['conversation:delivered', { conversationId: 'x', seq: 1 }],
        ['typing', { conversationId: randomUUID(), typing: 'yes' }],
        ['sync', { cursors: { 'not-a-uuid': 1 } }],
        ['sync', { cursors: { [randomUUID()]: -3 } }],
        ['sync', { cursors: [] }],
        ['sync', { limit: 0 }],
        ['session:state', { state: 'sleepy' }],
        ['no:such-event', { anything: 1 }],
        ['message:sned', { conversationId: randomUUID(), body: 'typo', clientMsgId: 'x' }],
      ] as const) {
        const ack = await call(s, event, payload);
        expect({ event, payload, ok: ack.ok, code: ack.ok ? null : ack.error.code }).toEqual({
          event,
          payload,
          ok: false,
          code: 'VALIDATION_FAILED',
        });
      }
      expect(s.connected).toBe(true);
    });

    it('a packet over 64 KiB closes that socket (the transport limit); others are unaffected', async () => {
      const { a, b } = await pair();
      const a1 = await open(a);
      const b1 = await open(b);
      const closed = new Promise<string>((resolve) => a1.on('disconnect', resolve));
      a1.emit('message:send', {
        to: { type: 'user', id: b.id },
        body: 'x'.repeat(70 * 1024),
        clientMsgId: randomUUID(),
      });
      expect(await closed).toMatch(/transport close|transport error/);
      expect(b1.connected).toBe(true);
      const history = await t.http
        .get('/api/v1/messages')
        .query({ with: b.id })
        .set(...bearer(a))
        .expect(200);
      expect(history.body.items).toEqual([]);
    });

    it('REST routes: malformed ids, cursors and queries are 400, unknown ids 404', async () => {
      const { a } = await pair();
      await t.http
        .get('/api/v1/conversations/not-a-uuid/messages')
        .set(...bearer(a))
        .expect(400);
      await t.http
        .get(`/api/v1/conversations/${randomUUID()}/messages`)
        .set(...bearer(a))
        .expect(404);
      await t.http
        .get(`/api/v1/conversations/${randomUUID()}/messages`)
        .query({ afterSeq: 'x' })
        .set(...bearer(a))
        .expect(400);
      await t.http
        .get('/api/v1/conversations')
        .query({ cursor: 'bm9wZQ' })
        .set(...bearer(a))
        .expect(400);
      await t.http
        .get('/api/v1/messages')
        .set(...bearer(a))
        .expect(400);
      await t.http
        .get('/api/v1/messages')
        .query({ with: 'bob' })
        .set(...bearer(a))
        .expect(400);
      await t.http
        .post('/api/v1/sync')
        .set(...bearer(a))
        .send({ cursors: 'all' })
        .expect(400);
      await t.http
        .post(`/api/v1/conversations/${randomUUID()}/read`)
        .set(...bearer(a))
        .send({ seq: 'one' })
        .expect(400);
      await t.http
        .patch(`/api/v1/messages/${randomUUID()}`)
        .set(...bearer(a))
        .send({ body: 'x' })
        .expect(404);
      await t.http
        .patch(`/api/v1/messages/${randomUUID()}`)
        .set(...bearer(a))
        .send({})
        .expect(400);
    });
  });

  it('a flood of socket events is answered RATE_LIMITED without dropping the connection', async () => {
    const guarded = await startApp({ RATE_LIMIT_SOCKET_EVENTS_PER_10S: '20' });
    try {
      const { a, b } = await (async () => {
        const a = await registerUser(guarded);
        const b = await registerUser(guarded);
        await befriend(guarded, a, b);
        return { a, b };
      })();
      const conv = (
        await guarded.http
          .post('/api/v1/messages')
          .set(...bearer(a))
          .send({ to: { type: 'user', id: b.id }, body: 'hi' })
          .expect(201)
      ).body.conversationId;
      const s = await sockets.open(guarded, a.accessToken);
      const b1 = await sockets.open(guarded, b.accessToken);
      const typingSeen = record(b1, 'typing');
      const acks = await Promise.all(
        Array.from({ length: 100 }, () => call(s, 'typing', { conversationId: conv, typing: true })),
      );
      const limited = acks.filter((x) => !x.ok);
      expect(acks.filter((x) => x.ok)).toHaveLength(20);
      expect(limited).toHaveLength(80);
      expect(limited[0]).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
      await settle();
      expect(typingSeen.length).toBe(20);
      expect(s.connected).toBe(true);
    } finally {
      await guarded.close();
    }
  });

  it('a retried send costs no rate-limit point, neither answered from the table nor joined in flight', async () => {
    const limited = await startApp({ RATE_LIMIT_MESSAGES_PER_SEC: '1', RATE_LIMIT_MESSAGES_BURST: '2' });
    try {
      const a = await registerUser(limited);
      const b = await registerUser(limited);
      await befriend(limited, a, b);
      const s = await sockets.open(limited, a.accessToken);
      const send = (clientMsgId: string, body = 'x') =>
        call<{ id: string }>(s, 'message:send', { to: { type: 'user', id: b.id }, body, clientMsgId });
      const first = randomUUID();
      const original = await send(first);
      expect(original.ok).toBe(true);
      // Five retries, two of them while the original could still be in flight.
      const retries = [...(await Promise.all([send(first), send(first)]))];
      for (let i = 0; i < 3; i++) retries.push(await send(first));
      expect(retries.every((r) => r.ok && original.ok && r.data.id === original.data.id)).toBe(true);
      // The steady point went to the original; the burst of two is still whole.
      expect(await send(randomUUID(), 'fresh 1')).toMatchObject({ ok: true });
      expect(await send(randomUUID(), 'fresh 2')).toMatchObject({ ok: true });
    } finally {
      await limited.close();
    }
  });

  it('limits messages per user (RATE_LIMITED ack / 429); retries of stored messages do not count', async () => {
    const limited = await startApp({ RATE_LIMIT_MESSAGES_PER_SEC: '2', RATE_LIMIT_MESSAGES_BURST: '3' });
    try {
      const a = await registerUser(limited);
      const b = await registerUser(limited);
      await befriend(limited, a, b);
      const s = await sockets.open(limited, a.accessToken);
      const clientMsgId = randomUUID();
      const acks = [];
      for (let i = 0; i < 8; i++) {
        acks.push(
          await call(s, 'message:send', {
            to: { type: 'user', id: b.id },
            body: `m${i}`,
            clientMsgId: i === 0 ? clientMsgId : randomUUID(),
          }),
        );
      }
      const refused = acks.filter((x) => !x.ok);
      expect(refused.length).toBeGreaterThan(0);
      expect(refused[0]).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
      const retry = await call(s, 'message:send', {
        to: { type: 'user', id: b.id },
        body: 'm0',
        clientMsgId,
      });
      expect(retry.ok).toBe(true);
      const rest = await limited.http
        .post('/api/v1/messages')
        .set(...bearer(a))
        .send({ to: { type: 'user', id: b.id }, body: 'rest' })
        .expect(429);
      expect(rest.headers['retry-after']).toBeDefined();
    } finally {
      await limited.close();
    }
  });
});
