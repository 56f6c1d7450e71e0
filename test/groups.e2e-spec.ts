import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { releaseTestDatabase, startApp, type TestApp } from './support/app.js';
import { bearer, registerUser, type TestUser } from './support/factories.js';
import { call, record, socketPool, until, waitFor } from './support/sockets.js';

interface Msg {
  id: string;
  conversationId: string;
  seq: number;
  body: string;
}

describe('groups and topics', () => {
  let t: TestApp;
  const sockets = socketPool();
  const open = (u: TestUser) => sockets.open(t, u.accessToken);
  const users = (n: number) => Promise.all(Array.from({ length: n }, () => registerUser(t)));
  const createGroup = async (owner: TestUser, body: object) =>
    (
      await t.http
        .post('/api/v1/groups')
        .set(...bearer(owner))
        .send(body)
        .expect(201)
    ).body as { id: string; conversationId: string; memberCount: number };

  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(async () => {
    await t?.close();
    await releaseTestDatabase();
  });

  it('a 200-member group: one send reaches every connected member exactly once and nobody else; offline members sync it', async () => {
    const owner = await registerUser(t);
    const online = await users(199);
    const offline = await users(5);
    const outsider = await registerUser(t);
    const group = await createGroup(owner, {
      name: 'Big room',
      memberIds: [...online, ...offline].map((u) => u.id),
    });
    expect(group.memberCount).toBe(205);

    const ownerSocket = await open(owner);
    const memberSockets = await Promise.all(online.map(open));
    const outsiderSocket = await open(outsider);
    const got = memberSockets.map((s) => record<Msg>(s, 'message:new'));
    const outsiderGot = record(outsiderSocket, 'message:new');
    const ownerGot = record(ownerSocket, 'message:new');

    const ack = await call<Msg>(ownerSocket, 'message:send', {
      to: { type: 'group', id: group.id },
      body: 'hello all',
      clientMsgId: randomUUID(),
    });
    expect(ack.ok).toBe(true);
    if (!ack.ok) return;
    // A second message marks the end of the first one's fan-out: once it is everywhere, any
    // duplicate of the first would have arrived before it.
    const marker = await call<Msg>(ownerSocket, 'message:send', {
      to: { type: 'group', id: group.id },
      body: 'marker',
      clientMsgId: randomUUID(),
    });
    if (!marker.ok) throw new Error('marker refused');
    await until(() => got.every((g) => g.length >= 2), 15_000, 'all 199 members');
    expect(got.map((g) => g.map((m) => m.id))).toEqual(online.map(() => [ack.data.id, marker.data.id]));
    expect(ownerGot).toEqual([]);
    expect(outsiderGot).toEqual([]);

    // Stored once, not once per member.
    const history = await t.http
      .get(`/api/v1/conversations/${group.conversationId}/messages`)
      .set(...bearer(offline[0]!))
      .expect(200);
    expect(history.body.items).toEqual([ack.data, marker.data]);
    for (const u of offline) {
      const synced = await t.http
        .post('/api/v1/sync')
        .set(...bearer(u))
        .send({ cursors: {} })
        .expect(200);
      expect(synced.body.conversations).toEqual([
        { conversationId: group.conversationId, messages: [ack.data, marker.data], hasMore: false },
      ]);
    }
  }, 120_000);

  it('a removed member gets conversation:left and nothing afterwards, on REST or socket', async () => {
    const [owner, stays, leaves] = await users(3);
    const group = await createGroup(owner!, { name: 'Team', memberIds: [stays!.id, leaves!.id] });
    const other = await createGroup(owner!, { name: 'Still together', memberIds: [leaves!.id] });
    const [ownerSocket, staysSocket, leavesSocket] = await Promise.all([
      open(owner!),
      open(stays!),
      open(leaves!),
    ]);
    const before = waitFor<Msg>(leavesSocket, 'message:new');
    await call(ownerSocket, 'message:send', {
      conversationId: group.conversationId,
      body: 'before',
      clientMsgId: randomUUID(),
    });
    expect((await before).body).toBe('before');

    const left = waitFor<{ conversationId: string }>(leavesSocket, 'conversation:left');
    await t.http
      .delete(`/api/v1/groups/${group.id}/members/${leaves!.id}`)
      .set(...bearer(owner!))
      .expect(204);
    expect(await left).toEqual({ conversationId: group.conversationId });

    const after = record<Msg>(leavesSocket, 'message:new');
    const typing = record(leavesSocket, 'typing');
    const staysGot = waitFor<Msg>(staysSocket, 'message:new');
    await call(ownerSocket, 'message:send', {
      conversationId: group.conversationId,
      body: 'after',
      clientMsgId: randomUUID(),
    });
    await call(ownerSocket, 'typing', { conversationId: group.conversationId, typing: true });
    expect((await staysGot).body).toBe('after');
    // The group the user is still in carries a marker that must arrive after anything sent before it.
    const marker = waitFor<Msg>(leavesSocket, 'message:new');
    await call(ownerSocket, 'message:send', {
      conversationId: other.conversationId,
      body: 'marker',
      clientMsgId: randomUUID(),
    });
    expect((await marker).body).toBe('marker');
    expect(after.map((m) => m.body)).toEqual(['marker']);
    expect(typing).toEqual([]);
    await t.http
      .get(`/api/v1/conversations/${group.conversationId}/messages`)
      .set(...bearer(leaves!))
      .expect(404);
    await t.http
      .get(`/api/v1/groups/${group.id}`)
      .set(...bearer(leaves!))
      .expect(404);
    const sync = await t.http
      .post('/api/v1/sync')
      .set(...bearer(leaves!))
      .send({ cursors: { [group.conversationId]: 1, [other.conversationId]: 1 } })
      .expect(200);
    expect(sync.body.conversations).toEqual([]);
    expect(
      await call(leavesSocket, 'message:send', {
        conversationId: group.conversationId,
        body: 'back?',
        clientMsgId: randomUUID(),
      }),
    ).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
  });

  it('public topic: subscribe (REST or socket), receive, unsubscribe, stop receiving; listed in the directory', async () => {
    const [owner, fan] = await users(2);
    const name = `Topic ${randomUUID().slice(0, 8)}`;
    const topic = await createGroup(owner!, { name, visibility: 'public', topic: 'news' });
    const dir = await t.http
      .get('/api/v1/groups/public')
      .query({ search: name.slice(6).toUpperCase() })
      .set(...bearer(fan!))
      .expect(200);
    expect(dir.body.items).toEqual([
      expect.objectContaining({ id: topic.id, name, visibility: 'public', memberCount: 1, myRole: null }),
    ]);
    expect(
      (
        await t.http
          .get(`/api/v1/groups/${topic.id}`)
          .set(...bearer(fan!))
          .expect(200)
      ).body.myRole,
    ).toBeNull();

    const [ownerSocket, fanSocket] = await Promise.all([open(owner!), open(fan!)]);
    // Not subscribed yet: may not post.
    const notYet = await t.http
      .post('/api/v1/messages')
      .set(...bearer(fan!))
      .send({ to: { type: 'group', id: topic.id }, body: 'hi' })
      .expect(403);
    expect(notYet.body.code).toBe('FORBIDDEN');

    const joined = waitFor<{ id: string }>(fanSocket, 'conversation:joined');
    expect(await call(fanSocket, 'topic:subscribe', { groupId: topic.id })).toEqual({ ok: true, data: {} });
    expect((await joined).id).toBe(topic.conversationId);
    const got = waitFor<Msg>(fanSocket, 'message:new');
    await call(ownerSocket, 'message:send', {
      to: { type: 'group', id: topic.id },
      body: 'issue 1',
      clientMsgId: randomUUID(),
    });
    expect((await got).body).toBe('issue 1');
    await t.http
      .post('/api/v1/messages')
      .set(...bearer(fan!))
      .send({ to: { type: 'group', id: topic.id }, body: 'thanks' })
      .expect(201);

    expect(await call(fanSocket, 'topic:unsubscribe', { groupId: topic.id })).toEqual({ ok: true, data: {} });
    const after = record<Msg>(fanSocket, 'message:new');
    const issue2 = await call<Msg>(ownerSocket, 'message:send', {
      to: { type: 'group', id: topic.id },
      body: 'issue 2',
      clientMsgId: randomUUID(),
    });
    expect(issue2).toMatchObject({ ok: true, data: { body: 'issue 2' } });
    // REST subscribe works the same, twice is harmless.
    const rejoined = waitFor<{ id: string }>(fanSocket, 'conversation:joined');
    await t.http
      .post(`/api/v1/groups/${topic.id}/subscribe`)
      .set(...bearer(fan!))
      .expect(204);
    // Back in: the whole conversation as the fan sees it, with its history.
    expect(await rejoined).toEqual({
      id: topic.conversationId,
      type: 'group',
      title: name,
      groupId: topic.id,
      lastSeq: 3,
      // A new membership: the watermark starts again from the beginning.
      readSeq: 0,
      unread: 3,
      lastMessage: expect.objectContaining({ body: 'issue 2', seq: 3 }),
    });
    await t.http
      .post(`/api/v1/groups/${topic.id}/subscribe`)
      .set(...bearer(fan!))
      .expect(204);
    await rejoined;
    // A message sent after rejoining arrives; the one sent while away did not.
    const issue3 = waitFor<Msg>(fanSocket, 'message:new');
    await call(ownerSocket, 'message:send', {
      to: { type: 'group', id: topic.id },
      body: 'issue 3',
      clientMsgId: randomUUID(),
    });
    expect((await issue3).body).toBe('issue 3');
    expect(after.map((m) => m.body)).toEqual(['issue 3']);
    expect(
      (
        await t.http
          .get(`/api/v1/groups/${topic.id}`)
          .set(...bearer(fan!))
          .expect(200)
      ).body,
    ).toMatchObject({ memberCount: 2, myRole: 'member' });
    await t.http
      .delete(`/api/v1/groups/${topic.id}/subscribe`)
      .set(...bearer(owner!))
      .expect(409);
  });

  it('private group: invisible to non-members, who cannot subscribe, read or post; the socket says the same', async () => {
    const [owner, member, stranger] = await users(3);
    const group = await createGroup(owner!, { name: 'Secret', memberIds: [member!.id] });
    const missing = randomUUID();
    for (const id of [group.id, missing]) {
      const res = await t.http
        .get(`/api/v1/groups/${id}`)
        .set(...bearer(stranger!))
        .expect(404);
      expect(res.body).toEqual({ statusCode: 404, code: 'NOT_FOUND', message: 'Group not found' });
      await t.http
        .post(`/api/v1/groups/${id}/subscribe`)
        .set(...bearer(stranger!))
        .expect(404);
      await t.http
        .get(`/api/v1/groups/${id}/members`)
        .set(...bearer(stranger!))
        .expect(404);
      await t.http
        .post('/api/v1/messages')
        .set(...bearer(stranger!))
        .send({ to: { type: 'group', id }, body: 'x' })
        .expect(404);
    }
    await t.http
      .get(`/api/v1/conversations/${group.conversationId}/messages`)
      .set(...bearer(stranger!))
      .expect(404);
    const s = await open(stranger!);
    expect(await call(s, 'topic:subscribe', { groupId: group.id })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
    expect(await call(s, 'topic:invite', { groupId: group.id, userId: stranger!.id })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
    expect(await call(s, 'topic:subscribe', { groupId: 'nope' })).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION_FAILED' },
    });
    // Members may not subscribe their way around invitation either.
    await t.http
      .post(`/api/v1/groups/${group.id}/subscribe`)
      .set(...bearer(member!))
      .expect(403);
    expect(
      (
        await t.http
          .get('/api/v1/groups/public')
          .set(...bearer(stranger!))
          .expect(200)
      ).body.items.map((g: { id: string }) => g.id),
    ).not.toContain(group.id);
  });

  it('invites: admins always; members only with membersCanInvite; the invitee joins', async () => {
    const [owner, member, guest1, guest2] = await users(4);
    const closed = await createGroup(owner!, { name: 'Closed', memberIds: [member!.id] });
    const res = await t.http
      .post(`/api/v1/groups/${closed.id}/invite`)
      .set(...bearer(member!))
      .send({ userId: guest1!.id })
      .expect(403);
    expect(res.body.code).toBe('FORBIDDEN');
    await t.http
      .post(`/api/v1/groups/${closed.id}/invite`)
      .set(...bearer(owner!))
      .send({ userId: guest1!.id })
      .expect(204);
    expect(
      (
        await t.http
          .get(`/api/v1/groups/${closed.id}`)
          .set(...bearer(guest1!))
          .expect(200)
      ).body.myRole,
    ).toBe('member');

    const open1 = await createGroup(owner!, {
      name: 'Private topic',
      memberIds: [member!.id],
      membersCanInvite: true,
    });
    const ms = await open(member!);
    expect(await call(ms, 'topic:invite', { groupId: open1.id, userId: guest2!.id })).toEqual({
      ok: true,
      data: {},
    });
    expect(
      (
        await t.http
          .get(`/api/v1/groups/${open1.id}`)
          .set(...bearer(guest2!))
          .expect(200)
      ).body.myRole,
    ).toBe('member');
    await t.http
      .post(`/api/v1/groups/${open1.id}/invite`)
      .set(...bearer(owner!))
      .send({ userId: randomUUID() })
      .expect(404);
    // A user who blocked the inviter cannot be invited by them.
    const blocker = await registerUser(t);
    await t.http
      .post(`/api/v1/blocks/${owner!.id}`)
      .set(...bearer(blocker))
      .expect(201);
    await t.http
      .post(`/api/v1/groups/${open1.id}/invite`)
      .set(...bearer(owner!))
      .send({ userId: blocker.id })
      .expect(403);
  });

  it('roles: only admins manage members, only the owner changes roles or deletes; maxMembers holds', async () => {
    const [owner, admin, member, extra, extra2] = await users(5);
    const group = await createGroup(owner!, {
      name: 'Roles',
      memberIds: [admin!.id, member!.id],
      maxMembers: 4,
    });
    await t.http
      .patch(`/api/v1/groups/${group.id}/members/${admin!.id}`)
      .set(...bearer(member!))
      .send({ role: 'admin' })
      .expect(403);
    await t.http
      .patch(`/api/v1/groups/${group.id}/members/${admin!.id}`)
      .set(...bearer(owner!))
      .send({ role: 'admin' })
      .expect(200);
    await t.http
      .patch(`/api/v1/groups/${group.id}/members/${admin!.id}`)
      .set(...bearer(owner!))
      .send({ role: 'king' })
      .expect(400);

    await t.http
      .post(`/api/v1/groups/${group.id}/members`)
      .set(...bearer(member!))
      .send({ userIds: [extra!.id] })
      .expect(403);
    await t.http
      .patch(`/api/v1/groups/${group.id}`)
      .set(...bearer(member!))
      .send({ name: 'Mine now' })
      .expect(403);
    const renamed = await t.http
      .patch(`/api/v1/groups/${group.id}`)
      .set(...bearer(admin!))
      .send({ name: 'Renamed', topic: 'agenda' })
      .expect(200);
    expect(renamed.body).toMatchObject({ name: 'Renamed', topic: 'agenda', myRole: 'admin' });
    const added = await t.http
      .post(`/api/v1/groups/${group.id}/members`)
      .set(...bearer(admin!))
      .send({ userIds: [extra!.id] })
      .expect(200);
    expect(added.body.added).toEqual([extra!.id]);
    const full = await t.http
      .post(`/api/v1/groups/${group.id}/members`)
      .set(...bearer(admin!))
      .send({ userIds: [extra2!.id] })
      .expect(409);
    expect(full.body.code).toBe('CONFLICT');

    await t.http
      .delete(`/api/v1/groups/${group.id}/members/${owner!.id}`)
      .set(...bearer(admin!))
      .expect(403);
    await t.http
      .delete(`/api/v1/groups/${group.id}/members/${owner!.id}`)
      .set(...bearer(owner!))
      .expect(409);
    await t.http
      .delete(`/api/v1/groups/${group.id}/members/${member!.id}`)
      .set(...bearer(member!))
      .expect(204); // leave
    await t.http
      .delete(`/api/v1/groups/${group.id}/members/${member!.id}`)
      .set(...bearer(admin!))
      .expect(404);

    // A moderator may delete others' messages; a member may not.
    const msg = await t.http
      .post('/api/v1/messages')
      .set(...bearer(extra!))
      .send({ conversationId: group.conversationId, body: 'spam' })
      .expect(201);
    await t.http
      .patch(`/api/v1/messages/${msg.body.id}`)
      .set(...bearer(admin!))
      .send({ body: 'edited by admin' })
      .expect(403);
    await t.http
      .delete(`/api/v1/messages/${msg.body.id}`)
      .set(...bearer(admin!))
      .expect(204);

    const members = await t.http
      .get(`/api/v1/groups/${group.id}/members`)
      .set(...bearer(extra!))
      .expect(200);
    expect(
      members.body.items.map((m: { userId: string; role: string }) => [m.userId, m.role]).sort(),
    ).toEqual(
      [
        [owner!.id, 'owner'],
        [admin!.id, 'admin'],
        [extra!.id, 'member'],
      ].sort(),
    );

    await t.http
      .delete(`/api/v1/groups/${group.id}`)
      .set(...bearer(admin!))
      .expect(403);
    // Hand ownership over, then the new owner deletes.
    await t.http
      .patch(`/api/v1/groups/${group.id}/members/${admin!.id}`)
      .set(...bearer(owner!))
      .send({ role: 'owner' })
      .expect(200);
    await t.http
      .delete(`/api/v1/groups/${group.id}`)
      .set(...bearer(owner!))
      .expect(403);
    await t.http
      .delete(`/api/v1/groups/${group.id}`)
      .set(...bearer(admin!))
      .expect(204);
    await t.http
      .get(`/api/v1/groups/${group.id}`)
      .set(...bearer(admin!))
      .expect(404);
    await t.http
      .get(`/api/v1/conversations/${group.conversationId}/messages`)
      .set(...bearer(extra!))
      .expect(404);
  });

  it('validates creation and lists the caller’s groups', async () => {
    const [owner] = await users(1);
    await t.http
      .post('/api/v1/groups')
      .set(...bearer(owner!))
      .send({})
      .expect(400);
    await t.http
      .post('/api/v1/groups')
      .set(...bearer(owner!))
      .send({ name: 'x', visibility: 'secret' })
      .expect(400);
    await t.http
      .post('/api/v1/groups')
      .set(...bearer(owner!))
      .send({ name: 'x', maxMembers: 1 })
      .expect(400);
    await t.http
      .post('/api/v1/groups')
      .set(...bearer(owner!))
      .send({ name: 'x', memberIds: ['nope'] })
      .expect(400);
    const unknown = await t.http
      .post('/api/v1/groups')
      .set(...bearer(owner!))
      .send({ name: 'x', memberIds: [randomUUID()] })
      .expect(404);
    expect(unknown.body.code).toBe('NOT_FOUND');
    await t.http
      .post('/api/v1/groups')
      .set(...bearer(owner!))
      .send({ name: 'x', tenantId: randomUUID() })
      .expect(404);
    const a = await createGroup(owner!, { name: 'Alpha' });
    const b = await createGroup(owner!, { name: 'beta' });
    const mine = await t.http
      .get('/api/v1/groups')
      .query({ limit: 1 })
      .set(...bearer(owner!))
      .expect(200);
    expect(mine.body.items.map((g: { id: string }) => g.id)).toEqual([a.id]);
    const next = await t.http
      .get('/api/v1/groups')
      .query({ limit: 1, cursor: mine.body.nextCursor })
      .set(...bearer(owner!))
      .expect(200);
    expect(next.body.items.map((g: { id: string }) => g.id)).toEqual([b.id]);
  });
});
