import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { releaseTestDatabase, startApp, type TestApp } from './support/app.js';
import { befriend, bearer, registerUser, type TestUser } from './support/factories.js';

describe('users, friends and blocks', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(async () => {
    await t?.close();
    await releaseTestDatabase();
  });

  const friendIds = async (u: TestUser) =>
    (
      (
        await t.http
          .get('/api/v1/friends')
          .set(...bearer(u))
          .expect(200)
      ).body.items as { id: string }[]
    ).map((f) => f.id);

  /** Sends a friend request from one user to another. */
  const request = (from: TestUser, to: { id: string }) =>
    t.http
      .post('/api/v1/friends/requests')
      .set(...bearer(from))
      .send({ userId: to.id });

  it('request → accept → both sides list each other → remove', async () => {
    const a = await registerUser(t);
    const b = await registerUser(t);
    const sent = await request(a, b).expect(201);
    expect(sent.body).toEqual({
      id: expect.any(String),
      fromUserId: a.id,
      toUserId: b.id,
      status: 'pending',
      createdAt: expect.any(String),
    });

    const incoming = await t.http
      .get('/api/v1/friends/requests?direction=incoming')
      .set(...bearer(b))
      .expect(200);
    expect(incoming.body.items.map((r: { id: string }) => r.id)).toEqual([sent.body.id]);
    const outgoing = await t.http
      .get('/api/v1/friends/requests?direction=outgoing')
      .set(...bearer(a))
      .expect(200);
    expect(outgoing.body.items.map((r: { id: string }) => r.id)).toEqual([sent.body.id]);
    expect(
      (
        await t.http
          .get('/api/v1/friends/requests')
          .set(...bearer(a))
          .expect(200)
      ).body.items,
    ).toHaveLength(1);

    // Only the recipient answers.
    await t.http
      .post(`/api/v1/friends/requests/${sent.body.id}/accept`)
      .set(...bearer(a))
      .expect(403);
    const stranger = await registerUser(t);
    await t.http
      .post(`/api/v1/friends/requests/${sent.body.id}/accept`)
      .set(...bearer(stranger))
      .expect(404);

    const accepted = await t.http
      .post(`/api/v1/friends/requests/${sent.body.id}/accept`)
      .set(...bearer(b))
      .expect(200);
    expect(accepted.body.status).toBe('accepted');
    await t.http
      .post(`/api/v1/friends/requests/${sent.body.id}/accept`)
      .set(...bearer(b))
      .expect(409);

    expect(await friendIds(a)).toEqual([b.id]);
    expect(await friendIds(b)).toEqual([a.id]);
    const list = await t.http
      .get('/api/v1/friends')
      .set(...bearer(a))
      .expect(200);
    expect(list.body).toEqual({
      items: [
        {
          id: b.id,
          username: b.username,
          displayName: b.username,
          createdAt: expect.any(String),
          friendsSince: expect.any(String),
        },
      ],
      nextCursor: null,
    });
    expect(
      (
        await t.http
          .get('/api/v1/friends/requests')
          .set(...bearer(a))
          .expect(200)
      ).body.items,
    ).toEqual([]);

    await t.http
      .delete(`/api/v1/friends/${b.id}`)
      .set(...bearer(a))
      .expect(204);
    expect(await friendIds(a)).toEqual([]);
    expect(await friendIds(b)).toEqual([]);
    await t.http
      .delete(`/api/v1/friends/${b.id}`)
      .set(...bearer(a))
      .expect(404);
  });

  it('decline leaves no friendship and allows a new request later', async () => {
    const a = await registerUser(t);
    const b = await registerUser(t);
    const sent = await request(a, b).expect(201);
    const declined = await t.http
      .post(`/api/v1/friends/requests/${sent.body.id}/decline`)
      .set(...bearer(b))
      .expect(200);
    expect(declined.body.status).toBe('declined');
    expect(await friendIds(a)).toEqual([]);
    await request(a, b).expect(201);
  });

  it('a request crossing a pending one the other way accepts it', async () => {
    const a = await registerUser(t);
    const b = await registerUser(t);
    const ab = await request(a, b).expect(201);
    const ba = await request(b, a).expect(200);
    expect(ba.body).toMatchObject({ id: ab.body.id, status: 'accepted' });
    expect(await friendIds(a)).toEqual([b.id]);
  });

  it('refuses requests to self, unknown users, duplicates, existing friends and bad ids', async () => {
    const a = await registerUser(t);
    const b = await registerUser(t);
    const self = await request(a, a).expect(400);
    expect(self.body.code).toBe('VALIDATION_FAILED');
    const unknown = await t.http
      .post('/api/v1/friends/requests')
      .set(...bearer(a))
      .send({ userId: randomUUID() })
      .expect(404);
    expect(unknown.body.code).toBe('NOT_FOUND');
    await request(a, b).expect(201);
    const dup = await request(a, b).expect(409);
    expect(dup.body.code).toBe('CONFLICT');
    const bad = await t.http
      .post('/api/v1/friends/requests')
      .set(...bearer(a))
      .send({ userId: 'nope' })
      .expect(400);
    expect(bad.body.details.fields[0].field).toBe('userId');
    await t.http
      .post('/api/v1/friends/requests')
      .set(...bearer(a))
      .send({})
      .expect(400);
    await t.http
      .post('/api/v1/friends/requests/not-a-uuid/accept')
      .set(...bearer(b))
      .expect(400);
    await t.http
      .post(`/api/v1/friends/requests/${randomUUID()}/accept`)
      .set(...bearer(b))
      .expect(404);

    const c = await registerUser(t);
    await befriend(t, a, c);
    const again = await request(c, a).expect(409);
    expect(again.body.message).toMatch(/already friends/);
  });

  it('concurrent duplicate requests create exactly one', async () => {
    const a = await registerUser(t);
    const b = await registerUser(t);
    const results = await Promise.all(Array.from({ length: 5 }, () => request(a, b)));
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409]);
  });

  it('blocks: ends friendship, refuses requests both ways, unblock restores requests', async () => {
    const a = await registerUser(t);
    const b = await registerUser(t);
    await befriend(t, a, b);
    const blocked = await t.http
      .post(`/api/v1/blocks/${a.id}`)
      .set(...bearer(b))
      .expect(201);
    expect(blocked.body).toEqual({ userId: a.id, createdAt: expect.any(String) });
    await t.http
      .post(`/api/v1/blocks/${a.id}`)
      .set(...bearer(b))
      .expect(200);
    expect(await friendIds(a)).toEqual([]);
    expect(await friendIds(b)).toEqual([]);

    const fromBlocked = await request(a, b).expect(403);
    expect(fromBlocked.body.code).toBe('FORBIDDEN');
    await request(b, a).expect(403);

    const list = await t.http
      .get('/api/v1/blocks')
      .set(...bearer(b))
      .expect(200);
    expect(list.body.items).toEqual([
      { userId: a.id, username: a.username, displayName: a.username, createdAt: expect.any(String) },
    ]);
    expect(
      (
        await t.http
          .get('/api/v1/blocks')
          .set(...bearer(a))
          .expect(200)
      ).body.items,
    ).toEqual([]);

    await t.http
      .post(`/api/v1/blocks/${b.id}`)
      .set(...bearer(b))
      .expect(400);
    await t.http
      .post(`/api/v1/blocks/${randomUUID()}`)
      .set(...bearer(b))
      .expect(404);
    await t.http
      .delete(`/api/v1/blocks/${b.id}`)
      .set(...bearer(a))
      .expect(404);

    await t.http
      .delete(`/api/v1/blocks/${a.id}`)
      .set(...bearer(b))
      .expect(204);
    await request(a, b).expect(201);
  });

  it('blocking cancels pending requests between the two', async () => {
    const a = await registerUser(t);
    const b = await registerUser(t);
    const req = await request(a, b).expect(201);
    await t.http
      .post(`/api/v1/blocks/${a.id}`)
      .set(...bearer(b))
      .expect(201);
    expect(
      (
        await t.http
          .get('/api/v1/friends/requests')
          .set(...bearer(b))
          .expect(200)
      ).body.items,
    ).toEqual([]);
    await t.http
      .post(`/api/v1/friends/requests/${req.body.id}/accept`)
      .set(...bearer(b))
      .expect(409);
  });

  it('profiles: read by id, update own, search with cursor paging', async () => {
    const tag = `zq${Date.now().toString(36)}`;
    const users = [];
    for (let i = 0; i < 5; i++) users.push(await registerUser(t, { username: `${tag}_${i}` }));
    const [me] = users as [TestUser];

    const patched = await t.http
      .patch('/api/v1/users/me')
      .set(...bearer(me))
      .send({ displayName: 'Zed Q' })
      .expect(200);
    expect(patched.body.displayName).toBe('Zed Q');
    await t.http
      .patch('/api/v1/users/me')
      .set(...bearer(me))
      .send({ displayName: 'x'.repeat(65) })
      .expect(400);
    await t.http
      .patch('/api/v1/users/me')
      .set(...bearer(me))
      .send({ role: 'admin' })
      .expect(400);
    expect(
      (
        await t.http
          .get('/api/v1/users/me')
          .set(...bearer(me))
          .expect(200)
      ).body.role,
    ).toBe('user');

    const other = await t.http
      .get(`/api/v1/users/${me.id}`)
      .set(...bearer(users[1]!))
      .expect(200);
    expect(other.body).toEqual({
      id: me.id,
      username: me.username,
      displayName: 'Zed Q',
      createdAt: expect.any(String),
    });
    await t.http
      .get(`/api/v1/users/${randomUUID()}`)
      .set(...bearer(me))
      .expect(404);
    await t.http
      .get('/api/v1/users/123')
      .set(...bearer(me))
      .expect(400);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: { username: string }[]; nextCursor: string | null } } = await t.http
        .get('/api/v1/users')
        .query({ search: tag, limit: 2, ...(cursor ? { cursor } : {}) })
        .set(...bearer(me))
        .expect(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((u) => u.username));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(users.map((u) => u.username));

    // A limit above 100 is clamped, never refused; a broken cursor is a 400.
    const clamped = await t.http
      .get('/api/v1/users')
      .query({ search: tag, limit: 1000 })
      .set(...bearer(me))
      .expect(200);
    expect(clamped.body.items).toHaveLength(5);
    await t.http
      .get('/api/v1/users')
      .query({ limit: 0 })
      .set(...bearer(me))
      .expect(400);
    await t.http
      .get('/api/v1/users')
      .query({ limit: 'ten' })
      .set(...bearer(me))
      .expect(400);
    const broken = await t.http
      .get('/api/v1/users')
      .query({ cursor: 'garbage!!' })
      .set(...bearer(me))
      .expect(400);
    expect(broken.body.code).toBe('VALIDATION_FAILED');
    // Wildcards in the search are literal.
    expect(
      (
        await t.http
          .get('/api/v1/users')
          .query({ search: '%' })
          .set(...bearer(me))
          .expect(200)
      ).body.items,
    ).toEqual([]);
  });
});
