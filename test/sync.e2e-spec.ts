import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { MessageStore } from '../src/messaging/message.store.js';
import { releaseTestDatabase, startApp, type TestApp } from './support/app.js';
import { bearer, createGroup, registerUser, type TestUser } from './support/factories.js';
import { io } from 'socket.io-client';
import { call, socketPool, until, waitFor } from './support/sockets.js';

interface Msg {
  id: string;
  conversationId: string;
  seq: number;
  senderId: string | null;
  body: string;
  editedAt: string | null;
  deletedAt: string | null;
}

interface SyncResult {
  conversations: { conversationId: string; messages: Msg[]; hasMore: boolean }[];
  changes: { updated: Msg[]; left: string[] };
  syncToken: string;
}

/** What a client keeps: its copy of every message, a cursor per conversation and the last token. */
class Replica {
  readonly messages = new Map<string, Msg>();
  readonly cursors: Record<string, number> = {};
  token: string | undefined;
  left = new Set<string>();

  apply(result: SyncResult): boolean {
    let more = false;
    for (const c of result.conversations) {
      for (const m of c.messages) this.messages.set(m.id, m);
      const last = c.messages.at(-1);
      if (last) this.cursors[c.conversationId] = last.seq;
      more ||= c.hasMore;
    }
    for (const m of result.changes.updated) this.messages.set(m.id, m);
    for (const id of result.changes.left) {
      this.left.add(id);
      delete this.cursors[id];
      for (const [key, m] of this.messages) if (m.conversationId === id) this.messages.delete(key);
    }
    this.token = result.syncToken;
    return more;
  }

  request(): { cursors: Record<string, number>; since?: string } {
    return { cursors: { ...this.cursors }, ...(this.token ? { since: this.token } : {}) };
  }
}

describe('sync: what an offline client learns when it comes back', () => {
  let t: TestApp;
  const sockets = socketPool();

  const post = async (from: TestUser, groupId: string, body: string): Promise<Msg> =>
    (
      await t.http
        .post('/api/v1/messages')
        .set(...bearer(from))
        .send({ to: { type: 'group', id: groupId }, body })
        .expect(201)
    ).body;
  const sync = async (u: TestUser, body: object): Promise<SyncResult> =>
    (
      await t.http
        .post('/api/v1/sync')
        .set(...bearer(u))
        .send(body)
        .expect(200)
    ).body;

  /** A scene: `reader` synced once; then, while away, new messages, an edit, a deletion and a removal. */
  const awayScene = async () => {
    const [owner, reader] = [await registerUser(t), await registerUser(t)];
    const stay = await createGroup(t, owner, [reader], 'stay');
    const gone = await createGroup(t, owner, [reader], 'gone');
    const kept = await post(owner, stay.id, 'to be edited');
    const doomed = await post(owner, stay.id, 'to be deleted');
    const untouched = await post(owner, stay.id, 'untouched');
    await post(owner, gone.id, 'before the removal');
    return { owner, reader, stay, gone, kept, doomed, untouched };
  };
  const whileAway = async (s: Awaited<ReturnType<typeof awayScene>>) => {
    const fresh = await post(s.owner, s.stay.id, 'new while away');
    await t.http
      .patch(`/api/v1/messages/${s.kept.id}`)
      .set(...bearer(s.owner))
      .send({ body: 'edited while away' })
      .expect(200);
    await t.http
      .delete(`/api/v1/messages/${s.doomed.id}`)
      .set(...bearer(s.owner))
      .expect(204);
    await t.http
      .delete(`/api/v1/groups/${s.gone.id}/members/${s.reader.id}`)
      .set(...bearer(s.owner))
      .expect(204);
    return fresh;
  };

  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(async () => {
    await t?.close();
    await releaseTestDatabase();
  });

  it('REST: one sync with the previous token brings new messages, the edit, the deletion and the removal; the next brings nothing', async () => {
    const s = await awayScene();
    const replica = new Replica();
    replica.apply(await sync(s.reader, {}));
    expect(replica.token).toEqual(expect.any(String));
    expect(replica.cursors[s.stay.conversationId]).toBe(3);
    expect(replica.cursors[s.gone.conversationId]).toBe(1);

    const fresh = await whileAway(s);
    const result = await sync(s.reader, replica.request());
    expect(result.conversations).toEqual([
      {
        conversationId: s.stay.conversationId,
        messages: [expect.objectContaining({ id: fresh.id })],
        hasMore: false,
      },
    ]);
    const updated = new Map(result.changes.updated.map((m) => [m.id, m]));
    expect(updated.size).toBe(2);
    expect(updated.get(s.kept.id)).toMatchObject({
      body: 'edited while away',
      editedAt: expect.any(String),
      deletedAt: null,
    });
    expect(updated.get(s.doomed.id)).toMatchObject({ body: '', deletedAt: expect.any(String) });
    expect(result.changes.left).toEqual([s.gone.conversationId]);
    replica.apply(result);

    const again = await sync(s.reader, replica.request());
    expect(again).toEqual({
      conversations: [],
      changes: { updated: [], left: [] },
      syncToken: expect.any(String),
    });

    // What the replica holds now is what the server holds.
    const history = await t.http
      .get(`/api/v1/conversations/${s.stay.conversationId}/messages?afterSeq=0`)
      .set(...bearer(s.reader))
      .expect(200);
    expect([...replica.messages.values()].sort((a, b) => a.seq - b.seq)).toEqual(history.body.items);
  });

  it('socket: the same story through the `sync` event', async () => {
    const s = await awayScene();
    const socket = await sockets.open(t, s.reader.accessToken);
    const replica = new Replica();
    const first = await call<SyncResult>(socket, 'sync', {});
    expect(first.ok).toBe(true);
    if (first.ok) replica.apply(first.data);
    socket.disconnect();

    const fresh = await whileAway(s);
    const back = await sockets.open(t, s.reader.accessToken);
    const result = await call<SyncResult>(back, 'sync', replica.request());
    if (!result.ok) throw new Error(JSON.stringify(result.error));
    expect(result.data.conversations.map((c) => c.messages.map((m) => m.id))).toEqual([[fresh.id]]);
    expect(result.data.changes.updated.map((m) => m.id).sort()).toEqual([s.kept.id, s.doomed.id].sort());
    expect(result.data.changes.updated.find((m) => m.id === s.doomed.id)).toMatchObject({ body: '' });
    expect(result.data.changes.left).toEqual([s.gone.conversationId]);
    replica.apply(result.data);
    const again = await call<SyncResult>(back, 'sync', replica.request());
    expect(again).toEqual({
      ok: true,
      data: { conversations: [], changes: { updated: [], left: [] }, syncToken: expect.any(String) },
    });
  });

  it('without since, changes are empty; a departure is not news once the user is back', async () => {
    const s = await awayScene();
    const before = await sync(s.reader, { cursors: { [s.stay.conversationId]: 3 } });
    await whileAway(s);
    const plain = await sync(s.reader, { cursors: { [s.stay.conversationId]: 3 } });
    expect(plain.changes).toEqual({ updated: [], left: [] });

    await t.http
      .post(`/api/v1/groups/${s.gone.id}/members`)
      .set(...bearer(s.owner))
      .send({ userIds: [s.reader.id] })
      .expect(200);
    const result = await sync(s.reader, { cursors: { [s.stay.conversationId]: 3 }, since: before.syncToken });
    expect(result.changes.left).toEqual([]);
    // Changes are told only of what the client held (at or below its cursor).
    expect(result.changes.updated.map((m) => m.id).sort()).toEqual([s.kept.id, s.doomed.id].sort());
    const narrow = await sync(s.reader, { cursors: { [s.stay.conversationId]: 1 }, since: before.syncToken });
    expect(narrow.changes.updated.map((m) => m.id)).toEqual([s.kept.id]);
  });

  it('a deleted group is a departure for all its members', async () => {
    const [owner, member] = [await registerUser(t), await registerUser(t)];
    const g = await createGroup(t, owner, [member]);
    const before = await sync(member, {});
    await t.http
      .delete(`/api/v1/groups/${g.id}`)
      .set(...bearer(owner))
      .expect(204);
    const after = await sync(member, { since: before.syncToken });
    expect(after.changes.left).toEqual([g.conversationId]);
  });

  it('after server:shutdown, socket.io-client reconnects by itself with a fresh token from its auth callback, and sync catches up', async () => {
    const [sender, reader] = [await registerUser(t), await registerUser(t)];
    const g = await createGroup(t, sender, [reader]);
    await post(sender, g.id, 'before');
    // A node of its own, on a port it will come back on.
    const node = await startApp({});
    const port = Number(new URL(node.url).port);
    const tokens: string[] = [];
    const socket = io(node.url, {
      transports: ['websocket'],
      forceNew: true,
      reconnectionDelay: 100,
      reconnectionDelayMax: 500,
      // Called before every connection attempt: the place to hand over a fresh access token.
      auth: (cb) => {
        tokens.push(reader.accessToken);
        cb({ token: reader.accessToken });
      },
    });
    let restarted: TestApp | null = null;
    try {
      await waitFor(socket, 'connect');
      const replica = new Replica();
      const first = await socket.emitWithAck('sync', {});
      replica.apply(first.data as SyncResult);

      const notice = waitFor<{ reconnect: boolean; retryAfterMs: number }>(socket, 'server:shutdown');
      const reasons: string[] = [];
      socket.on('disconnect', (reason) => reasons.push(reason));
      await node.close();
      expect(await notice).toEqual({ reconnect: true, retryAfterMs: expect.any(Number) });
      await until(() => reasons.length > 0, 5000, 'disconnect');
      expect(reasons[0]).toBe('transport close');

      // While the node is down, the conversation goes on through another one.
      const fresh = await post(sender, g.id, 'while the node was down');
      restarted = await startApp({}, port);
      await waitFor(socket, 'connect');
      expect(tokens.length).toBeGreaterThanOrEqual(2);
      const caughtUp = (await socket.emitWithAck('sync', replica.request())) as {
        ok: true;
        data: SyncResult;
      };
      expect(caughtUp.data.conversations).toEqual([
        {
          conversationId: g.conversationId,
          messages: [expect.objectContaining({ id: fresh.id })],
          hasMore: false,
        },
      ]);
    } finally {
      socket.close();
      await restarted?.close();
    }
  });

  it('a token that is not ours is VALIDATION_FAILED on `since`, over REST and the socket', async () => {
    const u = await registerUser(t);
    const forged = [
      'nonsense',
      's1.' + Buffer.from('5:3:').toString('base64url'),
      's1.' + Buffer.from('3:9:8,4').toString('base64url'),
      's1.' + Buffer.from('3:9:x').toString('base64url'),
      's1.' + Buffer.from('3:99999999999999999999:').toString('base64url'),
      's1.' + Buffer.from("3:9:'; DROP TABLE messages").toString('base64url'),
      's1.' + 'A'.repeat(9000),
    ];
    for (const since of forged) {
      const res = await t.http
        .post('/api/v1/sync')
        .set(...bearer(u))
        .send({ since })
        .expect(400);
      expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(JSON.stringify(res.body.details)).toContain('since');
    }
    await t.http
      .post('/api/v1/sync')
      .set(...bearer(u))
      .send({ since: 42 })
      .expect(400);
    const socket = await sockets.open(t, u.accessToken);
    expect(await call(socket, 'sync', { since: forged[1] })).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION_FAILED' },
    });
  });

  // PGlite runs one transaction at a time, so only PostgreSQL can have an edit in flight during a sync.
  (process.env.DATABASE_URL ? it : it.skip)(
    'an edit whose transaction began before a sync and committed after it comes with the next sync',
    async () => {
      const s = await awayScene();
      const replica = new Replica();
      replica.apply(await sync(s.reader, {}));
      const runner = t.app.get(DataSource).createQueryRunner();
      await runner.startTransaction();
      try {
        await t.app.get(MessageStore).editBody(s.kept.id, 'slow edit', runner.manager);
        // A later transaction commits first: the slow one is now older than the newest committed
        // change and still not committed when the next sync reads.
        await t.http
          .patch(`/api/v1/messages/${s.untouched.id}`)
          .set(...bearer(s.owner))
          .send({ body: 'quick edit' })
          .expect(200);
        const during = await sync(s.reader, replica.request());
        expect(during.changes.updated).toEqual([expect.objectContaining({ id: s.untouched.id })]);
        replica.apply(during);
        await runner.commitTransaction();
      } finally {
        await runner.release();
      }
      const after = await sync(s.reader, replica.request());
      expect(after.changes.updated).toEqual([expect.objectContaining({ id: s.kept.id, body: 'slow edit' })]);
    },
  );

  it('20 writers editing and deleting while a reader syncs in a loop: the last sync leaves the reader identical to the server', async () => {
    const owner = await registerUser(t);
    const reader = await registerUser(t);
    const writers = await Promise.all(Array.from({ length: 20 }, () => registerUser(t)));
    const g = await createGroup(t, owner, [reader, ...writers]);
    const own = new Map<string, Msg[]>();
    for (const w of writers) {
      own.set(w.id, [await post(w, g.id, `${w.id} 0`), await post(w, g.id, `${w.id} 1`)]);
    }
    const replica = new Replica();
    while (replica.apply(await sync(reader, replica.request())));

    let writing = true;
    const writes = Promise.all(
      writers.map(async (w, i) => {
        const sockets_ = await sockets.open(t, w.accessToken);
        for (let round = 0; round < 8; round++) {
          const mine = own.get(w.id)!;
          const fresh = await call<Msg>(sockets_, 'message:send', {
            conversationId: g.conversationId,
            body: `${i}:${round}`,
            clientMsgId: randomUUID(),
          });
          if (fresh.ok) mine.push(fresh.data);
          const target = mine[(round * 7 + i) % mine.length]!;
          if ((round + i) % 3 === 0) await call(sockets_, 'message:delete', { messageId: target.id });
          else await call(sockets_, 'message:edit', { messageId: target.id, body: `edit ${i}:${round}` });
        }
      }),
    ).finally(() => {
      writing = false;
    });
    let syncs = 0;
    while (writing) {
      while (replica.apply(await sync(reader, replica.request())));
      syncs++;
    }
    await writes;
    while (replica.apply(await sync(reader, replica.request())));
    expect(syncs).toBeGreaterThan(1);

    const server: Msg[] = [];
    for (let after = 0; ;) {
      const page = await t.http
        .get(`/api/v1/conversations/${g.conversationId}/messages?afterSeq=${after}&limit=100`)
        .set(...bearer(reader))
        .expect(200);
      server.push(...page.body.items);
      if (!page.body.hasMore) break;
      after = server.at(-1)!.seq;
    }
    expect(server.length).toBe(20 * 2 + 20 * 8);
    expect(server.filter((m) => m.deletedAt).length).toBeGreaterThan(0);
    expect(server.filter((m) => m.editedAt && !m.deletedAt).length).toBeGreaterThan(0);
    expect([...replica.messages.values()].sort((a, b) => a.seq - b.seq)).toEqual(server);
  });
});
