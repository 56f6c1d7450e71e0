import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { releaseTestDatabase, startApp, type TestApp } from './support/app.js';
import { befriend, bearer, createGroup, nestedValue, registerUser } from './support/factories.js';
import type { Socket } from 'socket.io-client';
import { call, record, settle, socketPool, waitFor } from './support/sockets.js';

const cursorOf = (parts: unknown[]): string => Buffer.from(JSON.stringify(parts)).toString('base64url');

describe('hardened edges: no input answers 500, nothing costly happens before a refusal', () => {
  let t: TestApp;
  const sockets = socketPool();

  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(async () => {
    await t?.close();
    await releaseTestDatabase();
  });

  it('a JSON body nested deeper than 32 levels is refused from its raw bytes, however deep', async () => {
    const u = await registerUser(t);
    const refused = async (raw: string) => {
      const res = await t.http
        .post('/api/v1/messages')
        .set(...bearer(u))
        .set('Content-Type', 'application/json')
        .send(raw)
        .expect(400);
      expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', details: { fields: [{ field: 'body' }] } });
    };
    await refused(JSON.stringify({ body: 'x', to: nestedValue(33) }));
    await refused('['.repeat(100_000) + ']'.repeat(100_000));
    await refused('{"a":'.repeat(40_000) + '1' + '}'.repeat(40_000));
    // Brackets inside strings do not count; 32 levels are fine (and then ordinary validation speaks).
    const fine = await t.http
      .post('/api/v1/messages')
      .set(...bearer(u))
      .send({ body: '['.repeat(1000), to: { type: 'user', id: randomUUID() } })
      .expect(404);
    expect(fine.body.code).toBe('NOT_FOUND');
    const deepButAllowed = await t.http
      .post('/api/v1/messages')
      .set(...bearer(u))
      .send({ body: 'x', to: nestedValue(31) })
      .expect(400);
    expect(deepButAllowed.body.code).toBe('VALIDATION_FAILED');
  });

  it('control characters but tab, CR and LF are refused in every text field, body, query and socket alike', async () => {
    const [a, b] = [await registerUser(t), await registerUser(t)];
    await befriend(t, a, b);
    for (const bad of ['nul \u0000', 'bell \u0007', 'esc \u001b[31m', 'del \u007f']) {
      const res = await t.http
        .post('/api/v1/messages')
        .set(...bearer(a))
        .send({ to: { type: 'user', id: b.id }, body: bad })
        .expect(400);
      expect(res.body.details.fields).toEqual([
        { field: 'body', problems: ['must not contain control characters'] },
      ]);
    }
    await t.http
      .post('/api/v1/messages')
      .set(...bearer(a))
      .send({ to: { type: 'user', id: b.id }, body: 'tab\there\r\nnew line' })
      .expect(201);
    await t.http
      .patch('/api/v1/users/me')
      .set(...bearer(a))
      .send({ displayName: 'Ann\u0000' })
      .expect(400);
    await t.http
      .get('/api/v1/users')
      .query({ search: 'a\u0000' })
      .set(...bearer(a))
      .expect(400);
    const s = await sockets.open(t, a.accessToken);
    for (const payload of [
      { to: { type: 'user', id: b.id }, body: 'nul \u0000', clientMsgId: randomUUID() },
      { to: { type: 'user', id: b.id }, body: 'x', clientMsgId: randomUUID(), extra: nestedValue(40) },
    ]) {
      expect(await call(s, 'message:send', payload)).toMatchObject({
        ok: false,
        error: { code: 'VALIDATION_FAILED' },
      });
    }
    expect(await call(s, 'sync', { cursors: nestedValue(50) })).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION_FAILED' },
    });
    // Nothing was stored by the refusals, and the socket still works.
    const history = await t.http
      .get('/api/v1/messages')
      .query({ with: b.id })
      .set(...bearer(a))
      .expect(200);
    expect(history.body.items.map((m: { body: string }) => m.body)).toEqual(['tab\there\r\nnew line']);
    expect(await call(s, 'sync', {})).toMatchObject({ ok: true });
  });

  it('a block silences typing and receipts both ways, in groups too; others still hear them', async () => {
    const [a, b, c] = [await registerUser(t), await registerUser(t), await registerUser(t)];
    const g = await createGroup(t, a, [b, c], 'g');
    await t.http
      .post('/api/v1/messages')
      .set(...bearer(c))
      .send({ conversationId: g.conversationId, body: 'hello' })
      .expect(201);
    await t.http
      .post(`/api/v1/blocks/${b.id}`)
      .set(...bearer(a))
      .expect(201);
    const [sa, sb, sc] = (await Promise.all([a, b, c].map((u) => sockets.open(t, u.accessToken)))) as [
      Socket,
      Socket,
      Socket,
    ];
    const aTyping = record<{ userId: string }>(sa, 'typing');
    const aReceipts = record<{ userId: string }>(sa, 'receipt');
    const bTyping = record<{ userId: string }>(sb, 'typing');
    const bReceipts = record<{ userId: string }>(sb, 'receipt');
    const cHearsB = waitFor<{ userId: string }>(sc, 'typing', (e) => e.userId === b.id);
    const cHearsA = waitFor<{ userId: string }>(sc, 'receipt', (e) => e.userId === a.id);
    const conversationId = g.conversationId;
    await call(sb, 'typing', { conversationId, typing: true });
    await call(sa, 'typing', { conversationId, typing: true });
    await call(sb, 'conversation:read', { conversationId, seq: 1 });
    await call(sa, 'conversation:read', { conversationId, seq: 1 });
    await cHearsB;
    await cHearsA;
    await settle();
    expect(aTyping.filter((e) => e.userId === b.id)).toEqual([]);
    expect(aReceipts.filter((e) => e.userId === b.id)).toEqual([]);
    expect(bTyping.filter((e) => e.userId === a.id)).toEqual([]);
    expect(bReceipts.filter((e) => e.userId === a.id)).toEqual([]);

    // Unblocked: they hear each other again.
    await t.http
      .delete(`/api/v1/blocks/${b.id}`)
      .set(...bearer(a))
      .expect(204);
    const aHearsB = waitFor<{ userId: string }>(sa, 'typing', (e) => e.userId === b.id);
    await call(sb, 'typing', { conversationId, typing: false });
    await aHearsB;
  });

  it('cursors and numbers that do not decode to a valid position are VALIDATION_FAILED, never a database error', async () => {
    const u = await registerUser(t);
    const lists = [
      '/api/v1/conversations',
      '/api/v1/friends',
      '/api/v1/friends/requests',
      '/api/v1/blocks',
      '/api/v1/users',
      '/api/v1/groups',
      '/api/v1/groups/public',
      '/api/v1/push-subscriptions',
      '/api/v1/tenants',
      '/api/v1/connections',
    ];
    const cursors = [
      cursorOf(['not a time', 'not-a-uuid']),
      cursorOf([new Date().toISOString(), 'not-a-uuid']),
      cursorOf(['\u0000', randomUUID()]),
      cursorOf(['\u0000']),
      cursorOf([1e308, 'x']),
      cursorOf([]),
      'x'.repeat(600),
    ];
    for (const path of lists) {
      for (const cursor of cursors) {
        const res = await t.http
          .get(path)
          .query({ cursor })
          .set(...bearer(u));
        expect([path, cursor, res.status, res.body.code]).toEqual([path, cursor, 400, 'VALIDATION_FAILED']);
      }
    }
    const g = await createGroup(t, u, [], 'g');
    for (const query of [{ afterSeq: '99999999999999999999' }, { beforeSeq: '1e3' }, { afterSeq: '-1' }]) {
      const res = await t.http
        .get(`/api/v1/conversations/${g.conversationId}/messages`)
        .query(query)
        .set(...bearer(u));
      expect([query, res.status]).toEqual([query, 400]);
    }
  });
});
