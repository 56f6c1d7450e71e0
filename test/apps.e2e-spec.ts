import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { releaseTestDatabase, startApp, type TestApp } from './support/app.js';
import {
  adminAccount,
  bearer,
  login,
  registerUser,
  tenantWithApp,
  type TestUser,
} from './support/factories.js';
import { call, socketPool, waitFor } from './support/sockets.js';

describe('applications pushing to users', () => {
  let t: TestApp;
  let root: { accessToken: string };
  const sockets = socketPool();
  const open = (u: TestUser) => sockets.open(t, u.accessToken);
  const setup = (memberCount: number) => tenantWithApp(t, memberCount);
  const push = (key: string, body: object) =>
    t.http.post('/api/v1/apps/push').set('X-App-Key', key).send(body);

  beforeAll(async () => {
    const account = adminAccount();
    t = await startApp(account.env);
    root = await login(t, account);
  });
  afterAll(async () => {
    await t?.close();
    await releaseTestDatabase();
  });

  it('pushes with a valid key to users of its tenant, into each user’s app channel; skips others with a reason', async () => {
    const { members, app } = await setup(2);
    const [alice, bob] = members as [TestUser, TestUser];
    const stranger = await registerUser(t);
    const ghost = randomUUID();
    const aliceSocket = await open(alice);
    const arrived = waitFor<{
      body: string;
      appId: string;
      senderId: string | null;
      seq: number;
      conversationId: string;
    }>(aliceSocket, 'message:new');
    const joined = waitFor<{ id: string; type: string }>(aliceSocket, 'conversation:joined');

    const res = await push(app.apiKey, {
      toUserIds: [alice.id, bob.id, stranger.id, ghost],
      body: 'Your payslip is ready',
    }).expect(200);
    expect(res.body.delivered.map((d: { userId: string }) => d.userId).sort()).toEqual(
      [alice.id, bob.id].sort(),
    );
    expect(res.body.skipped).toEqual(
      expect.arrayContaining([
        { userId: stranger.id, reason: 'not_in_tenant' },
        { userId: ghost, reason: 'unknown_user' },
      ]),
    );
    const message = await arrived;
    expect(message).toMatchObject({ body: 'Your payslip is ready', appId: app.id, senderId: null, seq: 1 });
    expect((await joined).type).toBe('app');

    // Stored, ordered and synced like any message; the channel is read-only for the user.
    await push(app.apiKey, { toUserIds: [alice.id], body: 'second' }).expect(200);
    const history = await t.http
      .get(`/api/v1/conversations/${message.conversationId}/messages`)
      .set(...bearer(alice))
      .expect(200);
    expect(history.body.items.map((m: { seq: number; body: string }) => [m.seq, m.body])).toEqual([
      [1, 'Your payslip is ready'],
      [2, 'second'],
    ]);
    const list = await t.http
      .get('/api/v1/conversations')
      .set(...bearer(alice))
      .expect(200);
    expect(list.body.items[0]).toMatchObject({
      id: message.conversationId,
      type: 'app',
      appId: app.id,
      title: 'Payroll',
      unread: 2,
    });
    const reply = await t.http
      .post('/api/v1/messages')
      .set(...bearer(alice))
      .send({ conversationId: message.conversationId, body: 'thanks' })
      .expect(403);
    expect(reply.body.code).toBe('FORBIDDEN');
    await t.http
      .get(`/api/v1/conversations/${message.conversationId}/messages`)
      .set(...bearer(stranger))
      .expect(404);
  });

  it('refuses wrong keys, rotated keys, too many recipients and empty pushes', async () => {
    const { owner, members, app } = await setup(1);
    const none = await t.http
      .post('/api/v1/apps/push')
      .send({ toUserIds: [members[0]!.id], body: 'x' })
      .expect(401);
    expect(none.body.code).toBe('UNAUTHORIZED');
    await push('rk_wrong', { toUserIds: [members[0]!.id], body: 'x' }).expect(401);
    // A user's bearer token is not an app key.
    await t.http
      .post('/api/v1/apps/push')
      .set(...bearer(owner))
      .send({ toUserIds: [members[0]!.id], body: 'x' })
      .expect(401);

    const rotated = await t.http
      .post(`/api/v1/apps/${app.id}/rotate-key`)
      .set(...bearer(owner))
      .expect(200);
    expect(rotated.body.apiKey).not.toBe(app.apiKey);
    await push(app.apiKey, { toUserIds: [members[0]!.id], body: 'x' }).expect(401);
    await push(rotated.body.apiKey, { toUserIds: [members[0]!.id], body: 'x' }).expect(200);

    const tooMany = await push(rotated.body.apiKey, {
      toUserIds: Array.from({ length: 1001 }, () => randomUUID()),
      body: 'x',
    }).expect(400);
    expect(tooMany.body.code).toBe('VALIDATION_FAILED');
    await push(rotated.body.apiKey, { body: 'nobody' }).expect(400);
    await push(rotated.body.apiKey, { toUserIds: [members[0]!.id], body: '' }).expect(400);
    await push(rotated.body.apiKey, { toUserIds: [members[0]!.id], body: 'x', sessions: 'some' }).expect(400);
  });

  it('muted users are skipped; groups and org units of the tenant are audiences; other tenants’ are not', async () => {
    const { owner, members, tenantId, app } = await setup(3);
    const [a, b, c] = members as [TestUser, TestUser, TestUser];
    await t.http
      .post(`/api/v1/apps/${app.id}/mute`)
      .set(...bearer(b))
      .expect(204);
    const muted = await push(app.apiKey, { toUserIds: [a.id, b.id], body: 'x' }).expect(200);
    expect(muted.body.skipped).toEqual([{ userId: b.id, reason: 'muted' }]);
    await t.http
      .delete(`/api/v1/apps/${app.id}/mute`)
      .set(...bearer(b))
      .expect(204);
    await t.http
      .post(`/api/v1/apps/${randomUUID()}/mute`)
      .set(...bearer(b))
      .expect(404);

    const group = (
      await t.http
        .post('/api/v1/groups')
        .set(...bearer(a))
        .send({ name: 'Tenant group', tenantId, memberIds: [b.id] })
        .expect(201)
    ).body;
    const viaGroup = await push(app.apiKey, { groupId: group.id, body: 'to the group' }).expect(200);
    expect(viaGroup.body.delivered.map((d: { userId: string }) => d.userId).sort()).toEqual(
      [a.id, b.id].sort(),
    );

    const unit = (
      await t.http
        .post(`/api/v1/tenants/${tenantId}/org-units`)
        .set(...bearer(owner))
        .send({ name: 'HQ' })
        .expect(201)
    ).body;
    const sub = (
      await t.http
        .post(`/api/v1/tenants/${tenantId}/org-units`)
        .set(...bearer(owner))
        .send({ name: 'Team', parentId: unit.id })
        .expect(201)
    ).body;
    await t.http
      .post(`/api/v1/org-units/${sub.id}/members`)
      .set(...bearer(owner))
      .send({ userIds: [c.id] })
      .expect(200);
    const viaUnit = await push(app.apiKey, { orgUnitId: unit.id, body: 'to the org' }).expect(200);
    expect(viaUnit.body.delivered.map((d: { userId: string }) => d.userId)).toEqual([c.id]);

    const other = await setup(1);
    const foreignGroup = (
      await t.http
        .post('/api/v1/groups')
        .set(...bearer(other.members[0]!))
        .send({ name: 'Theirs' })
        .expect(201)
    ).body;
    await push(app.apiKey, { groupId: foreignGroup.id, body: 'x' }).expect(404);
    const otherUnit = (
      await t.http
        .post(`/api/v1/tenants/${other.tenantId}/org-units`)
        .set(...bearer(other.owner))
        .send({ name: 'X' })
        .expect(201)
    ).body;
    await push(app.apiKey, { orgUnitId: otherUnit.id, body: 'x' }).expect(404);
  });

  it('sessions: active reaches only users with a connected session marked active', async () => {
    const { members, app } = await setup(3);
    const [online, background, offline] = members as [TestUser, TestUser, TestUser];
    await open(online);
    const bg = await open(background);
    expect(await call(bg, 'session:state', { state: 'inactive' })).toEqual({ ok: true, data: {} });
    const res = await push(app.apiKey, {
      toUserIds: [online.id, background.id, offline.id],
      body: 'live only',
      sessions: 'active',
    }).expect(200);
    expect(res.body.delivered.map((d: { userId: string }) => d.userId)).toEqual([online.id]);
    expect(
      res.body.skipped.map((s: { userId: string; reason: string }) => [s.userId, s.reason]).sort(),
    ).toEqual(
      [
        [background.id, 'no_active_session'],
        [offline.id, 'no_active_session'],
      ].sort(),
    );
  });

  it('quota: exhaustion refuses the whole push with nothing half-delivered; concurrent pushes never overshoot', async () => {
    const { members, tenantId, app } = await setup(3);
    await t.http
      .put(`/api/v1/tenants/${tenantId}/quota`)
      .set(...bearer(root))
      .send({ appPushesPerDay: 10 })
      .expect(200);
    const ids = members.map((m) => m.id);
    await push(app.apiKey, { toUserIds: ids, body: 'one' }).expect(200); // 3 used
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => push(app.apiKey, { toUserIds: ids, body: `burst ${i}` })),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(2); // 3 + 2×3 = 9 ≤ 10
    const refused = results.filter((r) => r.status === 429);
    expect(refused).toHaveLength(4);
    expect(refused[0]!.body.code).toBe('QUOTA_EXCEEDED');
    const usage = await t.http
      .get(`/api/v1/tenants/${tenantId}/quota`)
      .set(...bearer(root))
      .expect(200);
    expect(usage.body.usedToday.appPushes).toBe(9);
    // Nothing half-delivered: each user holds exactly the three accepted pushes.
    for (const m of members) {
      const sync = await t.http
        .post('/api/v1/sync')
        .set(...bearer(m))
        .send({})
        .expect(200);
      expect(sync.body.conversations[0].messages).toHaveLength(3);
    }
    // One more push of 3 does not fit in the 1 left: refused whole.
    await push(app.apiKey, { toUserIds: ids, body: 'too much' }).expect(429);
  });

  it('only tenant owners and admins manage apps', async () => {
    const { owner, members, tenantId, app } = await setup(1);
    await t.http
      .post(`/api/v1/tenants/${tenantId}/apps`)
      .set(...bearer(members[0]!))
      .send({ name: 'Mine' })
      .expect(403);
    await t.http
      .get(`/api/v1/tenants/${tenantId}/apps`)
      .set(...bearer(members[0]!))
      .expect(403);
    await t.http
      .post(`/api/v1/apps/${app.id}/rotate-key`)
      .set(...bearer(members[0]!))
      .expect(403);
    const stranger = await registerUser(t);
    await t.http
      .get(`/api/v1/tenants/${tenantId}/apps`)
      .set(...bearer(stranger))
      .expect(404);
    await t.http
      .post(`/api/v1/apps/${app.id}/rotate-key`)
      .set(...bearer(stranger))
      .expect(404);
    const list = await t.http
      .get(`/api/v1/tenants/${tenantId}/apps`)
      .set(...bearer(owner))
      .expect(200);
    expect(list.body).toEqual({
      items: [{ id: app.id, tenantId, name: 'Payroll', createdAt: expect.any(String) }],
      nextCursor: null,
    });
  });
});
