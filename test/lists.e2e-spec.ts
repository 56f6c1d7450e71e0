import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { releaseTestDatabase, startApp, type TestApp } from './support/app.js';
import {
  adminAccount,
  befriend,
  bearer,
  login,
  registerUser,
  uniqueName,
  type TestUser,
} from './support/factories.js';

describe('list routes: every one answers {items, nextCursor} and pages through everything exactly once', () => {
  let t: TestApp;
  let admin: { accessToken: string };

  /** Follows nextCursor from the first page to the last with `limit` per page; returns every item. */
  const walk = async <T>(path: string, who: { accessToken: string }, limit: number, query: object = {}) => {
    const items: T[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 50; pages++) {
      const res = await t.http
        .get(path)
        .query({ ...query, limit, ...(cursor ? { cursor } : {}) })
        .set(...bearer(who))
        .expect(200);
      expect(Object.keys(res.body).sort()).toEqual(['items', 'nextCursor']);
      expect(res.body.items.length).toBeLessThanOrEqual(limit);
      items.push(...(res.body.items as T[]));
      if (res.body.nextCursor === null) return items;
      expect(res.body.items).toHaveLength(limit);
      cursor = res.body.nextCursor as string;
    }
    throw new Error(`${path} never ended`);
  };
  /** Cursors that are not ours: not base64 JSON, the wrong shape, and (for lists keyed by row id) not a UUID. */
  const badCursors = async (path: string, who: { accessToken: string }, keyedById = true) => {
    const cursors = [
      '%%%',
      Buffer.from('[1]').toString('base64url'),
      Buffer.from('{"a":1}').toString('base64url'),
    ];
    if (keyedById) cursors.push(Buffer.from('["x"]').toString('base64url'));
    for (const cursor of cursors) {
      const res = await t.http
        .get(path)
        .query({ cursor })
        .set(...bearer(who));
      expect([res.status, res.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    }
  };

  beforeAll(async () => {
    const account = adminAccount();
    t = await startApp(account.env);
    admin = await login(t, account);
  });
  afterAll(async () => {
    await t?.close();
    await releaseTestDatabase();
  });

  it('GET /tenants, /tenants/:id/apps and /org-units/:id/members (also recursive)', async () => {
    const owner = await registerUser(t);
    const tenants: { id: string; name: string }[] = [];
    for (let i = 0; i < 5; i++) {
      tenants.push(
        (
          await t.http
            .post('/api/v1/tenants')
            .set(...bearer(owner))
            .send({ name: `T${i}` })
            .expect(201)
        ).body,
      );
    }
    const mine = await walk<{ id: string }>('/api/v1/tenants', owner, 2);
    expect(mine.map((x) => x.id)).toEqual(tenants.map((x) => x.id));
    await badCursors('/api/v1/tenants', owner);

    const tenantId = tenants[0]!.id;
    const apps: string[] = [];
    for (let i = 0; i < 5; i++) {
      apps.push(
        (
          await t.http
            .post(`/api/v1/tenants/${tenantId}/apps`)
            .set(...bearer(owner))
            .send({ name: `A${i}` })
            .expect(201)
        ).body.id,
      );
    }
    const listed = await walk<{ id: string; name: string }>(`/api/v1/tenants/${tenantId}/apps`, owner, 2);
    expect(listed.map((a) => a.id)).toEqual(apps);
    await badCursors(`/api/v1/tenants/${tenantId}/apps`, owner);

    const top = (
      await t.http
        .post(`/api/v1/tenants/${tenantId}/org-units`)
        .set(...bearer(owner))
        .send({ name: 'Top' })
        .expect(201)
    ).body;
    const below = (
      await t.http
        .post(`/api/v1/tenants/${tenantId}/org-units`)
        .set(...bearer(owner))
        .send({ name: 'Below', parentId: top.id })
        .expect(201)
    ).body;
    const people: TestUser[] = [];
    for (let i = 0; i < 5; i++) {
      const u = await registerUser(t);
      await t.http
        .post(`/api/v1/tenants/${tenantId}/members`)
        .set(...bearer(owner))
        .send({ userId: u.id, role: 'member' })
        .expect(201);
      people.push(u);
    }
    await t.http
      .post(`/api/v1/org-units/${top.id}/members`)
      .set(...bearer(owner))
      .send({ userIds: people.slice(0, 3).map((u) => u.id) })
      .expect(200);
    await t.http
      .post(`/api/v1/org-units/${below.id}/members`)
      .set(...bearer(owner))
      .send({ userIds: people.slice(2).map((u) => u.id) })
      .expect(200);
    const direct = await walk<{ userId: string }>(`/api/v1/org-units/${top.id}/members`, owner, 2);
    expect(direct.map((m) => m.userId).sort()).toEqual(
      people
        .slice(0, 3)
        .map((u) => u.id)
        .sort(),
    );
    const everyone = await walk<{ userId: string }>(`/api/v1/org-units/${top.id}/members`, owner, 2, {
      recursive: true,
    });
    expect(everyone.map((m) => m.userId).sort()).toEqual(people.map((u) => u.id).sort());
    await badCursors(`/api/v1/org-units/${top.id}/members`, owner);
  });

  it('GET /connections', async () => {
    const me = await registerUser(t);
    const friends: TestUser[] = [];
    for (let i = 0; i < 5; i++) {
      const f = await registerUser(t);
      await befriend(t, me, f);
      friends.push(f);
    }
    const listed = await walk<{ userId: string; online: boolean }>('/api/v1/connections', me, 2);
    expect(listed.map((c) => c.userId).sort()).toEqual(friends.map((f) => f.id).sort());
    expect(listed.every((c) => c.online === false)).toBe(true);
    await badCursors('/api/v1/connections', me, false);
  });

  it('GET /client-keys and /stats/installs (admin)', async () => {
    const keys: string[] = [];
    for (let i = 0; i < 5; i++) {
      keys.push(
        (
          await t.http
            .post('/api/v1/client-keys')
            .set(...bearer(admin))
            .send({ name: `k${i}` })
            .expect(201)
        ).body.keyId,
      );
    }
    const listed = await walk<{ keyId: string; secret?: string }>('/api/v1/client-keys', admin, 2);
    expect(listed.map((k) => k.keyId)).toEqual(keys);
    expect(listed.every((k) => k.secret === undefined)).toBe(true);

    const platform = uniqueName('p').toLowerCase().slice(0, 30);
    const versions = ['1.0', '1.1', '2.0', '2.1', '3.0'];
    for (const [i, appVersion] of versions.entries()) {
      for (let n = 0; n <= i; n++) {
        await t.http
          .post('/api/v1/devices')
          .send({ deviceId: `d-${randomUUID()}`, platform, appVersion })
          .expect(201);
      }
    }
    const stats = await walk<{ platform: string; appVersion: string; installs: number }>(
      '/api/v1/stats/installs',
      admin,
      2,
    );
    expect(stats.filter((s) => s.platform === platform)).toEqual(
      versions.map((appVersion, i) => ({ platform, appVersion, installs: i + 1 })),
    );
    await badCursors('/api/v1/stats/installs', admin, false);
    await badCursors('/api/v1/client-keys', admin, false);
  });
});
