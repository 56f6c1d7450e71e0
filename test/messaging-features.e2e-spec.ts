import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { releaseTestDatabase, startApp, type TestApp } from './support/app.js';
import { befriend, bearer, binaryBody, registerUser, type TestUser } from './support/factories.js';
import { call, record, settle, socketPool, until, waitFor } from './support/sockets.js';

interface Msg {
  id: string;
  conversationId: string;
  seq: number;
  body: string;
  attachments: { id: string; url: string; mime: string; size: number; name: string | null }[];
}

// The smallest valid PNG: an 8-byte signature and the IHDR/IDAT/IEND chunks of a 1×1 image.
const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d4948445200000001000000010806000000' +
    '1f15c4890000000d49444154789c63f8cfc0f01f0005000201e2a5d76f0000000049454e44ae426082',
  'hex',
);

describe('messaging: receipts, typing, presence, lists, history, attachments', () => {
  let t: TestApp;
  const sockets = socketPool();
  const open = (u: TestUser) => sockets.open(t, u.accessToken);
  const pair = async () => {
    const a = await registerUser(t);
    const b = await registerUser(t);
    await befriend(t, a, b);
    return { a, b };
  };
  const send = async (from: TestUser, to: TestUser, body: string): Promise<Msg> =>
    (
      await t.http
        .post('/api/v1/messages')
        .set(...bearer(from))
        .send({ to: { type: 'user', id: to.id }, body })
        .expect(201)
    ).body;

  beforeAll(async () => {
    t = await startApp({ MAX_ATTACHMENT_BYTES: String(64 * 1024) });
  });
  afterAll(async () => {
    await t?.close();
    await releaseTestDatabase();
  });

  it('receipts reach the members (the reader’s other devices too) and only them; watermarks never move back', async () => {
    const { a, b } = await pair();
    const c = await registerUser(t);
    await befriend(t, a, c);
    const m1 = await send(a, b, 'one');
    await send(a, b, 'two');
    const [a1, b1, b2, c1] = await Promise.all([open(a), open(b), open(b), open(c)]);
    const cReceipts = record(c1, 'receipt');
    const toA = waitFor(a1, 'receipt', (r: { readSeq?: number }) => r.readSeq === 2);
    const toB2 = waitFor(b2, 'receipt', (r: { readSeq?: number }) => r.readSeq === 2);
    expect(await call(b1, 'conversation:read', { conversationId: m1.conversationId, seq: 2 })).toEqual({
      ok: true,
      data: {},
    });
    expect(await toA).toEqual({ conversationId: m1.conversationId, userId: b.id, readSeq: 2 });
    await toB2;

    const delivered = waitFor(a1, 'receipt', (r: { deliveredSeq?: number }) => r.deliveredSeq !== undefined);
    await call(b1, 'conversation:delivered', { conversationId: m1.conversationId, seq: 1 });
    expect(await delivered).toEqual({ conversationId: m1.conversationId, userId: b.id, deliveredSeq: 2 });

    // Moving back, or past the end, is clamped.
    await t.http
      .post(`/api/v1/conversations/${m1.conversationId}/read`)
      .set(...bearer(b))
      .send({ seq: 1 })
      .expect(204);
    await t.http
      .post(`/api/v1/conversations/${m1.conversationId}/read`)
      .set(...bearer(b))
      .send({ seq: 999 })
      .expect(204);
    const list = await t.http
      .get('/api/v1/conversations')
      .set(...bearer(b))
      .expect(200);
    expect(list.body.items[0]).toMatchObject({ id: m1.conversationId, lastSeq: 2, readSeq: 2, unread: 0 });
    await settle();
    expect(cReceipts).toEqual([]);
  });

  it('typing is relayed to the other members only, not stored', async () => {
    const { a, b } = await pair();
    const c = await registerUser(t);
    const m = await send(a, b, 'hi');
    const [a1, a2, b1, c1] = await Promise.all([open(a), open(a), open(b), open(c)]);
    const seen = { a1: record(a1, 'typing'), a2: record(a2, 'typing'), c1: record(c1, 'typing') };
    const atB = waitFor(b1, 'typing');
    expect(await call(a1, 'typing', { conversationId: m.conversationId, typing: true })).toEqual({
      ok: true,
      data: {},
    });
    expect(await atB).toEqual({ conversationId: m.conversationId, userId: a.id, typing: true });
    await settle();
    expect(seen).toEqual({ a1: [], a2: [], c1: [] });
  });

  it('presence: friends learn of the first connect and the last disconnect, with lastSeenAt; strangers learn nothing', async () => {
    const { a, b } = await pair();
    const stranger = await registerUser(t);
    const [b1, s1] = await Promise.all([open(b), open(stranger)]);
    const strangerSees = record(s1, 'presence');
    const bSees = record<{ userId: string; online: boolean; lastSeenAt: string | null }>(b1, 'presence');

    const a1 = await open(a);
    await until(() => bSees.length === 1, 5000, 'online');
    expect(bSees[0]).toMatchObject({ userId: a.id, online: true });
    const a2 = await open(a); // second device: no new announcement
    const connections = await t.http
      .get('/api/v1/connections')
      .set(...bearer(b))
      .expect(200);
    expect(connections.body).toEqual({
      items: [{ userId: a.id, username: a.username, online: true, lastSeenAt: null }],
      nextCursor: null,
    });

    a1.close();
    await settle();
    expect(bSees).toHaveLength(1);
    a2.close();
    await until(() => bSees.length === 2, 5000, 'offline');
    expect(bSees[1]).toMatchObject({ userId: a.id, online: false, lastSeenAt: expect.any(String) });
    const after = await t.http
      .get('/api/v1/connections')
      .set(...bearer(b))
      .expect(200);
    expect(after.body.items).toEqual([
      { userId: a.id, username: a.username, online: false, lastSeenAt: bSees[1]!.lastSeenAt },
    ]);
    expect(strangerSees).toEqual([]);
  });

  it('presence: two users who become friends learn each other’s presence at once', async () => {
    const a = await registerUser(t);
    const b = await registerUser(t);
    const [a1, b1] = await Promise.all([open(a), open(b)]);
    const aSees = waitFor<{ userId: string; online: boolean }>(a1, 'presence');
    const bSees = waitFor<{ userId: string; online: boolean }>(b1, 'presence');
    await befriend(t, a, b);
    expect(await aSees).toEqual({ userId: b.id, online: true, lastSeenAt: null });
    expect(await bSees).toEqual({ userId: a.id, online: true, lastSeenAt: null });
  });

  it('conversation list: most recent first, unread counts, last message, cursor paging; peers see titles', async () => {
    const me = await registerUser(t, { displayName: 'Me' });
    const friends = [];
    for (let i = 0; i < 3; i++) {
      const f = await registerUser(t, { displayName: `Friend ${i}` });
      await befriend(t, me, f);
      friends.push(f);
    }
    await send(friends[0]!, me, 'old');
    await send(friends[1]!, me, 'middle');
    await send(friends[2]!, me, 'new 1');
    const last = await send(friends[2]!, me, 'new 2');

    const page1 = await t.http
      .get('/api/v1/conversations')
      .query({ limit: 2 })
      .set(...bearer(me))
      .expect(200);
    expect(page1.body.items).toHaveLength(2);
    expect(page1.body.items[0]).toEqual({
      id: last.conversationId,
      type: 'direct',
      title: 'Friend 2',
      peerId: friends[2]!.id,
      lastSeq: 2,
      readSeq: 0,
      unread: 2,
      lastMessage: last,
    });
    const page2 = await t.http
      .get('/api/v1/conversations')
      .query({ limit: 2, cursor: page1.body.nextCursor })
      .set(...bearer(me))
      .expect(200);
    expect(page2.body.items.map((c: { title: string }) => c.title)).toEqual(['Friend 0']);
    expect(page2.body.nextCursor).toBeNull();
    expect(page1.body.items[1].title).toBe('Friend 1');
  });

  it('unread counts only other people’s messages: sending moves the sender’s read watermark to their message', async () => {
    const { a, b } = await pair();
    await send(b, a, 'one');
    await send(b, a, 'two');
    const mine = await send(a, b, 'my answer');
    const inbox = async (u: TestUser) =>
      (
        await t.http
          .get('/api/v1/conversations')
          .set(...bearer(u))
          .expect(200)
      ).body.items[0];
    expect(await inbox(a)).toMatchObject({ id: mine.conversationId, lastSeq: 3, readSeq: 3, unread: 0 });
    expect(await inbox(b)).toMatchObject({ lastSeq: 3, readSeq: 2, unread: 1 });
    // Over the socket too, and the watermark never moves back.
    const b1 = await open(b);
    expect(
      await call(b1, 'message:send', {
        conversationId: mine.conversationId,
        body: 'late',
        clientMsgId: randomUUID(),
      }),
    ).toMatchObject({ ok: true, data: { seq: 4 } });
    expect(await inbox(b)).toMatchObject({ lastSeq: 4, readSeq: 4, unread: 0 });
    expect(await inbox(a)).toMatchObject({ lastSeq: 4, readSeq: 3, unread: 1 });
  });

  it('history by seq range: newest page, before, after, direct history with a user', async () => {
    const { a, b } = await pair();
    let conv = '';
    for (let i = 1; i <= 12; i++) conv = (await send(i % 2 ? a : b, i % 2 ? b : a, `m${i}`)).conversationId;
    const get = async (query: object) =>
      (
        await t.http
          .get(`/api/v1/conversations/${conv}/messages`)
          .query(query)
          .set(...bearer(a))
          .expect(200)
      ).body as { items: Msg[]; hasMore: boolean };
    const seqs = (r: { items: Msg[] }) => r.items.map((m) => m.seq);

    expect(seqs(await get({ limit: 5 }))).toEqual([8, 9, 10, 11, 12]);
    expect((await get({ limit: 5 })).hasMore).toBe(true);
    expect(seqs(await get({ limit: 5, beforeSeq: 8 }))).toEqual([3, 4, 5, 6, 7]);
    const oldest = await get({ limit: 5, beforeSeq: 3 });
    expect([seqs(oldest), oldest.hasMore]).toEqual([[1, 2], false]);
    const after = await get({ limit: 5, afterSeq: 9 });
    expect([seqs(after), after.hasMore]).toEqual([[10, 11, 12], false]);
    expect(seqs(await get({ afterSeq: 2, beforeSeq: 6 }))).toEqual([3, 4, 5]);
    expect(seqs(await get({ limit: 1000 }))).toHaveLength(12);

    const direct = await t.http
      .get('/api/v1/messages')
      .query({ with: a.id, beforeSeq: 3 })
      .set(...bearer(b))
      .expect(200);
    expect(direct.body.items.map((m: Msg) => m.body)).toEqual(['m1', 'm2']);
    const nobody = await registerUser(t);
    expect(
      (
        await t.http
          .get('/api/v1/messages')
          .query({ with: nobody.id })
          .set(...bearer(a))
          .expect(200)
      ).body,
    ).toEqual({ items: [], hasMore: false });
  });

  it('edits and deletes reach every member; deleted messages keep their seq and lose their content', async () => {
    const { a, b } = await pair();
    const m = await send(a, b, 'typo');
    const [a2, b1] = await Promise.all([open(a), open(b)]);
    const updated = waitFor<Msg & { editedAt: string }>(b1, 'message:updated');
    const updatedA2 = waitFor(a2, 'message:updated');
    await t.http
      .patch(`/api/v1/messages/${m.id}`)
      .set(...bearer(a))
      .send({ body: 'fixed' })
      .expect(200);
    expect(await updated).toMatchObject({ id: m.id, seq: 1, body: 'fixed', editedAt: expect.any(String) });
    await updatedA2;
    const deleted = waitFor<Msg & { deletedAt: string }>(b1, 'message:deleted');
    await t.http
      .delete(`/api/v1/messages/${m.id}`)
      .set(...bearer(a))
      .expect(204);
    expect(await deleted).toMatchObject({ id: m.id, seq: 1, body: '', deletedAt: expect.any(String) });
    await t.http
      .patch(`/api/v1/messages/${m.id}`)
      .set(...bearer(a))
      .send({ body: 'revive' })
      .expect(409);
    const history = await t.http
      .get(`/api/v1/conversations/${m.conversationId}/messages`)
      .set(...bearer(b))
      .expect(200);
    expect(history.body.items).toEqual([
      expect.objectContaining({ id: m.id, seq: 1, body: '', deletedAt: expect.any(String) }),
    ]);
  });

  it('a deleted message keeps its content nowhere a member can read: history, inbox, sync, its attachment', async () => {
    const { a, b } = await pair();
    const file = await t.http
      .post('/api/v1/attachments')
      .set(...bearer(a))
      .attach('file', PNG, 'secret.png')
      .expect(201);
    const m = (
      await t.http
        .post('/api/v1/messages')
        .set(...bearer(a))
        .send({ to: { type: 'user', id: b.id }, body: 'the secret', attachments: [{ id: file.body.id }] })
        .expect(201)
    ).body as Msg;
    await t.http
      .get(`/api/v1/attachments/${file.body.id}`)
      .set(...bearer(b))
      .expect(200);
    const before = (
      await t.http
        .post('/api/v1/sync')
        .set(...bearer(b))
        .send({})
        .expect(200)
    ).body;
    await t.http
      .delete(`/api/v1/messages/${m.id}`)
      .set(...bearer(a))
      .expect(204);

    const seen = [
      (
        await t.http
          .get(`/api/v1/conversations/${m.conversationId}/messages`)
          .set(...bearer(b))
          .expect(200)
      ).body,
      (
        await t.http
          .get('/api/v1/conversations')
          .set(...bearer(b))
          .expect(200)
      ).body,
      (
        await t.http
          .post('/api/v1/sync')
          .set(...bearer(b))
          .send({ cursors: { [m.conversationId]: 1 }, since: before.syncToken })
          .expect(200)
      ).body,
      (
        await t.http
          .get('/api/v1/messages')
          .query({ with: a.id })
          .set(...bearer(b))
          .expect(200)
      ).body,
    ];
    for (const view of seen) {
      expect(JSON.stringify(view)).not.toContain('the secret');
      expect(JSON.stringify(view)).not.toContain(file.body.id);
    }
    expect(seen[2].changes.updated).toEqual([
      expect.objectContaining({ id: m.id, body: '', attachments: [], deletedAt: expect.any(String) }),
    ]);
    await t.http
      .get(`/api/v1/attachments/${file.body.id}`)
      .set(...bearer(b))
      .expect(404);
  });

  it('the compatibility route sends as the caller only', async () => {
    const { a, b } = await pair();
    const res = await t.http
      .post(`/api/v1/users/${a.id}/friends/${b.id}/message`)
      .set(...bearer(a))
      .send({ body: 'legacy' })
      .expect(201);
    expect(res.body).toMatchObject({ senderId: a.id, body: 'legacy', seq: 1 });
    await t.http
      .post(`/api/v1/users/${b.id}/friends/${a.id}/message`)
      .set(...bearer(a))
      .send({ body: 'spoof' })
      .expect(403);
    await t.http
      .post(`/api/v1/users/${a.id}/friends/${b.id}/message`)
      .set(...bearer(a))
      .send({ body: 'x', extra: 1 })
      .expect(400);
  });

  it('attachments: typed by content, size-limited, readable by the uploader and conversation members only', async () => {
    const { a, b } = await pair();
    const c = await registerUser(t);
    const up = await t.http
      .post('/api/v1/attachments')
      .set(...bearer(a))
      .attach('file', PNG, { filename: '../../etc/passwd.txt', contentType: 'text/plain' })
      .expect(201);
    expect(up.body).toEqual({
      id: expect.any(String),
      url: `/api/v1/attachments/${up.body.id}`,
      mime: 'image/png',
      size: PNG.length,
      sha256: (await import('node:crypto')).createHash('sha256').update(PNG).digest('hex'),
    });
    // Before it is sent: only the uploader.
    await t.http
      .get(up.body.url)
      .set(...bearer(a))
      .expect(200);
    await t.http
      .get(up.body.url)
      .set(...bearer(b))
      .expect(404);

    const sent = await t.http
      .post('/api/v1/messages')
      .set(...bearer(a))
      .send({ to: { type: 'user', id: b.id }, type: 'image', body: '', attachments: [{ id: up.body.id }] })
      .expect(201);
    expect(sent.body.attachments).toEqual([
      { id: up.body.id, url: up.body.url, mime: 'image/png', size: PNG.length, name: 'passwd.txt' },
    ]);
    const file = await t.http
      .get(up.body.url)
      .set(...bearer(b))
      .buffer(true)
      .parse(binaryBody)
      .expect(200);
    expect(Buffer.compare(file.body as Buffer, PNG)).toBe(0);
    expect(file.headers['content-type']).toBe('image/png');
    expect(file.headers['x-content-type-options']).toBe('nosniff');
    await t.http
      .get(up.body.url)
      .set(...bearer(c))
      .expect(404);

    // Someone else's attachment cannot be sent.
    await t.http
      .post('/api/v1/messages')
      .set(...bearer(b))
      .send({ to: { type: 'user', id: a.id }, body: 'x', attachments: [{ id: up.body.id }] })
      .expect(400);

    const big = await t.http
      .post('/api/v1/attachments')
      .set(...bearer(a))
      .attach('file', Buffer.alloc(65 * 1024, 1), 'big.bin')
      .expect(413);
    expect(big.body.code).toBe('PAYLOAD_TOO_LARGE');
    const none = await t.http
      .post('/api/v1/attachments')
      .set(...bearer(a))
      .field('x', 'y')
      .expect(400);
    expect(none.body.code).toBe('VALIDATION_FAILED');
    const text = await t.http
      .post('/api/v1/attachments')
      .set(...bearer(a))
      .attach('file', Buffer.from('plain words'), 'note.png')
      .expect(201);
    expect(text.body.mime).toBe('application/octet-stream');
    const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(64)]);
    await t.http
      .post('/api/v1/attachments')
      .set(...bearer(a))
      .attach('file', elf, 'photo.jpg')
      .expect(400);
  });

  it('message:new for a brand-new direct conversation also tells both users they joined it', async () => {
    const { a, b } = await pair();
    const [a1, b1] = await Promise.all([open(a), open(b)]);
    const joinedB = waitFor<{ id: string; type: string }>(b1, 'conversation:joined');
    const joinedA = waitFor<{ id: string; type: string }>(a1, 'conversation:joined');
    const order: string[] = [];
    b1.onAny((event: string) => {
      if (event.startsWith('conversation:') || event.startsWith('message:')) order.push(event);
    });
    const arrived = waitFor<Msg>(b1, 'message:new');
    const ack = await call<Msg>(a1, 'message:send', {
      to: { type: 'user', id: b.id },
      body: 'first',
      clientMsgId: randomUUID(),
    });
    if (!ack.ok) throw new Error('send failed');
    // The full conversation, as each of them sees it, and before anything in it.
    const asB = {
      id: ack.data.conversationId,
      type: 'direct',
      readSeq: 0,
      unread: 0,
      lastSeq: 0,
      lastMessage: null,
    };
    expect(await joinedB).toEqual({ ...asB, title: a.username, peerId: a.id });
    expect(await joinedA).toEqual({ ...asB, title: b.username, peerId: b.id });
    expect((await arrived).id).toBe(ack.data.id);
    expect(order.slice(0, 2)).toEqual(['conversation:joined', 'message:new']);
    // And typing now works in it for the newly joined sockets (their conv room was joined live).
    const typing = waitFor(b1, 'typing');
    await call(a1, 'typing', { conversationId: ack.data.conversationId, typing: true });
    await typing;
  });
});
