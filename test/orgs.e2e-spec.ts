import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { releaseTestDatabase, startApp, type TestApp } from './support/app.js';
import { bearer, registerUser, type TestUser } from './support/factories.js';
import { call, record, socketPool, until } from './support/sockets.js';

interface Unit {
  id: string;
  conversationId: string;
}

describe('tenants, org units and announcement conversations', () => {
  let t: TestApp;
  const sockets = socketPool();
  const open = (u: TestUser) => sockets.open(t, u.accessToken);
  const tenantWith = async (owner: TestUser, members: { user: TestUser; role: string }[]) => {
    const tenant = (
      await t.http
        .post('/api/v1/tenants')
        .set(...bearer(owner))
        .send({ name: `T ${randomUUID().slice(0, 6)}` })
        .expect(201)
    ).body as { id: string };
    for (const m of members)
      await t.http
        .post(`/api/v1/tenants/${tenant.id}/members`)
        .set(...bearer(owner))
        .send({ userId: m.user.id, role: m.role })
        .expect(201);
    return tenant.id;
  };
  const unit = async (actor: TestUser, tenantId: string, name: string, parentId?: string) =>
    (
      await t.http
        .post(`/api/v1/tenants/${tenantId}/org-units`)
        .set(...bearer(actor))
        .send({ name, ...(parentId ? { parentId } : {}) })
        .expect(201)
    ).body as Unit;
  const addToUnit = (actor: TestUser, unitId: string, users: TestUser[]) =>
    t.http
      .post(`/api/v1/org-units/${unitId}/members`)
      .set(...bearer(actor))
      .send({ userIds: users.map((u) => u.id) });

  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(async () => {
    await t?.close();
    await releaseTestDatabase();
  });

  it('a post to a parent unit reaches members of every unit below it; sibling tenants receive nothing; members only read', async () => {
    const [owner, admin, hq, sales, salesEu, support, other] = await Promise.all(
      Array.from({ length: 7 }, () => registerUser(t)),
    );
    const tenantId = await tenantWith(owner!, [
      { user: admin!, role: 'admin' },
      ...[hq, sales, salesEu, support].map((u) => ({ user: u!, role: 'member' })),
    ]);
    const otherTenant = await tenantWith(other!, []);
    const otherUnit = await unit(other!, otherTenant, 'Elsewhere');
    await addToUnit(other!, otherUnit.id, [other!]).expect(200);

    const root = await unit(owner!, tenantId, 'Company');
    const salesUnit = await unit(admin!, tenantId, 'Sales', root.id);
    const euUnit = await unit(admin!, tenantId, 'Sales EU', salesUnit.id);
    const supportUnit = await unit(admin!, tenantId, 'Support', root.id);
    await addToUnit(admin!, root.id, [hq!]).expect(200);
    await addToUnit(admin!, salesUnit.id, [sales!]).expect(200);
    await addToUnit(admin!, euUnit.id, [salesEu!]).expect(200);
    await addToUnit(admin!, supportUnit.id, [support!]).expect(200);

    const tree = await t.http
      .get(`/api/v1/tenants/${tenantId}/org-units`)
      .set(...bearer(hq!))
      .expect(200);
    expect(tree.body).toEqual([
      expect.objectContaining({
        id: root.id,
        memberCount: 1,
        children: [
          expect.objectContaining({
            id: salesUnit.id,
            children: [expect.objectContaining({ id: euUnit.id, children: [] })],
          }),
          expect.objectContaining({ id: supportUnit.id }),
        ],
      }),
    ]);
    const recursive = await t.http
      .get(`/api/v1/org-units/${salesUnit.id}/members`)
      .query({ recursive: true })
      .set(...bearer(hq!))
      .expect(200);
    expect(recursive.body.items.map((m: { userId: string }) => m.userId).sort()).toEqual(
      [sales!.id, salesEu!.id].sort(),
    );
    const direct = await t.http
      .get(`/api/v1/org-units/${salesUnit.id}/members`)
      .set(...bearer(hq!))
      .expect(200);
    expect(direct.body).toEqual({ items: [{ userId: sales!.id, unitId: salesUnit.id }], nextCursor: null });

    const socketsOf = await Promise.all([hq, sales, salesEu, support, other].map((u) => open(u!)));
    const [hqGot, salesGot, euGot, supportGot, otherGot] = socketsOf.map((s) =>
      record<{ body: string; conversationId: string }>(s, 'message:new'),
    );

    const post = await t.http
      .post('/api/v1/messages')
      .set(...bearer(admin!))
      .send({ to: { type: 'org', id: salesUnit.id }, body: 'Sales kickoff' })
      .expect(201);
    expect(post.body.conversationId).toBe(salesUnit.conversationId);
    await until(() => salesGot!.length === 1 && euGot!.length === 1, 5000, 'sales subtree');
    await t.http
      .post('/api/v1/messages')
      .set(...bearer(owner!))
      .send({ to: { type: 'org', id: root.id }, body: 'All hands' })
      .expect(201);
    await until(
      () => hqGot!.length === 1 && supportGot!.length === 1 && salesGot!.length === 2 && euGot!.length === 2,
      5000,
      'everyone',
    );
    // A last post marks the end: a duplicate or a stray delivery would have arrived before it.
    await t.http
      .post('/api/v1/messages')
      .set(...bearer(owner!))
      .send({ to: { type: 'org', id: root.id }, body: 'marker' })
      .expect(201);
    await until(
      () => [hqGot!, supportGot!, euGot!].every((g) => g.at(-1)?.body === 'marker'),
      5000,
      'marker',
    );
    expect(hqGot!.map((m) => m.body)).toEqual(['All hands', 'marker']);
    expect(supportGot!.map((m) => m.body)).toEqual(['All hands', 'marker']);
    expect(euGot!.map((m) => m.body)).toEqual(['Sales kickoff', 'All hands', 'marker']);
    expect(otherGot).toEqual([]);

    // Members read but do not post; outsiders do not even see the unit.
    const denied = await t.http
      .post('/api/v1/messages')
      .set(...bearer(sales!))
      .send({ to: { type: 'org', id: salesUnit.id }, body: 'me too' })
      .expect(403);
    expect(denied.body.code).toBe('FORBIDDEN');
    expect(
      await call(socketsOf[1]!, 'message:send', {
        conversationId: salesUnit.conversationId,
        body: 'me too',
        clientMsgId: randomUUID(),
      }),
    ).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
    await t.http
      .post('/api/v1/messages')
      .set(...bearer(other!))
      .send({ to: { type: 'org', id: salesUnit.id }, body: 'hi' })
      .expect(404);
    await t.http
      .get(`/api/v1/tenants/${tenantId}/org-units`)
      .set(...bearer(other!))
      .expect(404);
    await t.http
      .get(`/api/v1/org-units/${salesUnit.id}/members`)
      .set(...bearer(other!))
      .expect(404);
    const read = await t.http
      .get(`/api/v1/conversations/${salesUnit.conversationId}/messages`)
      .set(...bearer(salesEu!))
      .expect(200);
    expect(read.body.items.map((m: { body: string }) => m.body)).toEqual(['Sales kickoff']);
  });

  it('moving units keeps conversations in step and refuses cycles', async () => {
    const [owner, a, b] = await Promise.all(Array.from({ length: 3 }, () => registerUser(t)));
    const tenantId = await tenantWith(owner!, [
      { user: a!, role: 'member' },
      { user: b!, role: 'member' },
    ]);
    const x = await unit(owner!, tenantId, 'X');
    const y = await unit(owner!, tenantId, 'Y', x.id);
    const z = await unit(owner!, tenantId, 'Z', y.id);
    const w = await unit(owner!, tenantId, 'W');
    await addToUnit(owner!, z.id, [a!]).expect(200);
    await addToUnit(owner!, w.id, [b!]).expect(200);

    for (const target of [x.id, y.id, z.id]) {
      const res = await t.http
        .patch(`/api/v1/org-units/${x.id}`)
        .set(...bearer(owner!))
        .send({ parentId: target })
        .expect(409);
      expect(res.body.code).toBe('CONFLICT');
    }
    await t.http
      .patch(`/api/v1/org-units/${x.id}`)
      .set(...bearer(a!))
      .send({ name: 'Hacked' })
      .expect(403);
    await t.http
      .patch(`/api/v1/org-units/${x.id}`)
      .set(...bearer(owner!))
      .send({ parentId: 'nope' })
      .expect(400);

    // a is in Z under Y under X: a member of all three conversations.
    const aSocket = await open(a!);
    const left = record<{ conversationId: string }>(aSocket, 'conversation:left');
    const joined = record<{ id: string }>(aSocket, 'conversation:joined');
    // Move Y (with Z) under W: a leaves X's conversation and joins W's.
    const moved = await t.http
      .patch(`/api/v1/org-units/${y.id}`)
      .set(...bearer(owner!))
      .send({ parentId: w.id, name: 'Y2' })
      .expect(200);
    expect(moved.body).toMatchObject({ id: y.id, parentId: w.id, name: 'Y2' });
    await until(() => left.length === 1 && joined.length === 1, 5000, 'membership change');
    expect(left).toEqual([{ conversationId: x.conversationId }]);
    expect(joined).toEqual([
      expect.objectContaining({ id: w.conversationId, type: 'org', title: 'W', orgUnitId: w.id, lastSeq: 0 }),
    ]);
    const got = record<{ body: string }>(aSocket, 'message:new');
    await t.http
      .post('/api/v1/messages')
      .set(...bearer(owner!))
      .send({ to: { type: 'org', id: x.id }, body: 'to X' })
      .expect(201);
    await t.http
      .post('/api/v1/messages')
      .set(...bearer(owner!))
      .send({ to: { type: 'org', id: w.id }, body: 'to W' })
      .expect(201);
    // The W post, sent after the X post, is the marker: the X post would have arrived before it.
    await until(() => got.length >= 1, 5000, 'W post');
    // X now has no members at all: its message goes to nobody (not to every socket).
    expect(got.map((m) => m.body)).toEqual(['to W']);

    // Removing a from Z takes them out of every conversation above.
    await t.http
      .delete(`/api/v1/org-units/${z.id}/members/${a!.id}`)
      .set(...bearer(owner!))
      .expect(204);
    await t.http
      .delete(`/api/v1/org-units/${z.id}/members/${a!.id}`)
      .set(...bearer(owner!))
      .expect(404);
    const conversations = await t.http
      .get('/api/v1/conversations')
      .set(...bearer(a!))
      .expect(200);
    expect(conversations.body.items).toEqual([]);
  });

  it('roles and validation: only tenant members join units; only owners grant admin; unknown ids are 404', async () => {
    const [owner, admin, member, outsider] = await Promise.all(
      Array.from({ length: 4 }, () => registerUser(t)),
    );
    const tenantId = await tenantWith(owner!, [
      { user: admin!, role: 'admin' },
      { user: member!, role: 'member' },
    ]);
    await t.http
      .post(`/api/v1/tenants/${tenantId}/members`)
      .set(...bearer(admin!))
      .send({ userId: outsider!.id, role: 'admin' })
      .expect(403);
    await t.http
      .post(`/api/v1/tenants/${tenantId}/members`)
      .set(...bearer(member!))
      .send({ userId: outsider!.id, role: 'member' })
      .expect(403);
    await t.http
      .post(`/api/v1/tenants/${tenantId}/members`)
      .set(...bearer(outsider!))
      .send({ userId: outsider!.id, role: 'member' })
      .expect(404);
    await t.http
      .post(`/api/v1/tenants/${tenantId}/members`)
      .set(...bearer(owner!))
      .send({ userId: randomUUID(), role: 'member' })
      .expect(404);
    await t.http
      .post(`/api/v1/tenants/${tenantId}/members`)
      .set(...bearer(owner!))
      .send({ userId: outsider!.id, role: 'boss' })
      .expect(400);
    await t.http
      .post(`/api/v1/tenants/${tenantId}/org-units`)
      .set(...bearer(member!))
      .send({ name: 'Nope' })
      .expect(403);
    await t.http
      .post(`/api/v1/tenants/${randomUUID()}/org-units`)
      .set(...bearer(owner!))
      .send({ name: 'Nope' })
      .expect(404);
    await t.http
      .post(`/api/v1/tenants/${tenantId}/org-units`)
      .set(...bearer(owner!))
      .send({ name: 'Orphan', parentId: randomUUID() })
      .expect(404);
    const u = await unit(admin!, tenantId, 'Ops');
    const notInTenant = await addToUnit(admin!, u.id, [outsider!]).expect(400);
    expect(notInTenant.body.code).toBe('VALIDATION_FAILED');
    await addToUnit(member!, u.id, [member!]).expect(403);
    await t.http
      .get(`/api/v1/org-units/${randomUUID()}/members`)
      .set(...bearer(owner!))
      .expect(404);
    const mine = await t.http
      .get('/api/v1/tenants')
      .set(...bearer(admin!))
      .expect(200);
    expect(mine.body).toEqual({
      items: [expect.objectContaining({ id: tenantId, role: 'admin' })],
      nextCursor: null,
    });
  });

  it('quotas: admins read and set them; messagesPerDay stops posts with QUOTA_EXCEEDED, exactly at the limit under concurrency', async () => {
    const adminName = `root_${randomUUID().slice(0, 8)}`;
    const ta = await startApp({ ADMIN_USERNAME: adminName, ADMIN_PASSWORD: 'admin-pass-1' });
    try {
      const root = (
        await ta.http
          .post('/api/v1/auth/login')
          .send({ username: adminName, password: 'admin-pass-1' })
          .expect(200)
      ).body;
      const owner = await registerUser(ta);
      const reader = await registerUser(ta);
      const tenant = (
        await ta.http
          .post('/api/v1/tenants')
          .set(...bearer(owner))
          .send({ name: 'Quota Inc' })
          .expect(201)
      ).body;
      await ta.http
        .post(`/api/v1/tenants/${tenant.id}/members`)
        .set(...bearer(owner))
        .send({ userId: reader.id, role: 'member' })
        .expect(201);
      const u = (
        await ta.http
          .post(`/api/v1/tenants/${tenant.id}/org-units`)
          .set(...bearer(owner))
          .send({ name: 'All' })
          .expect(201)
      ).body;

      await ta.http
        .get(`/api/v1/tenants/${tenant.id}/quota`)
        .set(...bearer(owner))
        .expect(403);
      await ta.http
        .put(`/api/v1/tenants/${tenant.id}/quota`)
        .set(...bearer(owner))
        .send({ messagesPerDay: 1 })
        .expect(403);
      await ta.http
        .put(`/api/v1/tenants/${tenant.id}/quota`)
        .set(...bearer(root))
        .send({ messagesPerDay: -1 })
        .expect(400);
      const set = await ta.http
        .put(`/api/v1/tenants/${tenant.id}/quota`)
        .set(...bearer(root))
        .send({ messagesPerDay: 5 })
        .expect(200);
      expect(set.body).toEqual({
        appPushesPerDay: null,
        messagesPerDay: 5,
        usedToday: { appPushes: 0, messages: 0 },
      });

      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          ta.http
            .post('/api/v1/messages')
            .set(...bearer(owner))
            .send({ to: { type: 'org', id: u.id }, body: `n${i}` }),
        ),
      );
      expect(results.filter((r) => r.status === 201)).toHaveLength(5);
      const refused = results.filter((r) => r.status === 429);
      expect(refused).toHaveLength(7);
      expect(refused[0]!.body.code).toBe('QUOTA_EXCEEDED');
      expect(Number(refused[0]!.headers['retry-after'])).toBeGreaterThan(0);
      const usage = await ta.http
        .get(`/api/v1/tenants/${tenant.id}/quota`)
        .set(...bearer(root))
        .expect(200);
      expect(usage.body.usedToday.messages).toBe(5);
      await ta.http
        .get(`/api/v1/tenants/${randomUUID()}/quota`)
        .set(...bearer(root))
        .expect(404);

      // Retries cost nothing, and a send refused after the charge gives it back.
      await ta.http
        .put(`/api/v1/tenants/${tenant.id}/quota`)
        .set(...bearer(root))
        .send({ messagesPerDay: 8 })
        .expect(200);
      const post = (body: object) =>
        ta.http
          .post('/api/v1/messages')
          .set(...bearer(owner))
          .send({ to: { type: 'org', id: u.id }, ...body });
      const used = async () =>
        (
          await ta.http
            .get(`/api/v1/tenants/${tenant.id}/quota`)
            .set(...bearer(root))
            .expect(200)
        ).body.usedToday.messages as number;
      const clientMsgId = randomUUID();
      const original = await post({ body: 'once', clientMsgId }).expect(201);
      expect(await used()).toBe(6);
      for (let i = 0; i < 3; i++) {
        const retry = await post({ body: 'once', clientMsgId }).expect(200);
        expect(retry.body.id).toBe(original.body.id);
      }
      expect(await used()).toBe(6);
      // Stored data PostgreSQL refuses (a NUL character): refused after the charge, and refunded.
      await post({ body: 'nul \u0000 inside', clientMsgId: randomUUID() }).expect(400);
      // Someone else's attachment.
      const stranger = await registerUser(ta);
      const file = await ta.http
        .post('/api/v1/attachments')
        .set(...bearer(stranger))
        .attach('file', Buffer.from('plain text'), 'a.txt')
        .expect(201);
      await post({ body: 'theirs', attachments: [{ id: file.body.id }] }).expect(400);
      expect(await used()).toBe(6);
      await post({ body: 'seventh' }).expect(201);
      await post({ body: 'eighth' }).expect(201);
      expect((await post({ body: 'ninth' }).expect(429)).body.code).toBe('QUOTA_EXCEEDED');
      // With the quota used up, a retry is still answered with the stored message.
      expect((await post({ body: 'once', clientMsgId }).expect(200)).body.id).toBe(original.body.id);
      expect(await used()).toBe(8);
    } finally {
      await ta.close();
    }
  });
});
