import { afterAll, describe, expect, it } from '@jest/globals';
import { releaseTestDatabase, startApp, type TestApp } from './support/app.js';
import { befriend, bearer, registerUser, uniqueName } from './support/factories.js';
import { connect } from './support/sockets.js';

describe('admin role and rate limits', () => {
  const apps: TestApp[] = [];
  const start = async (env: Record<string, string> = {}) => {
    const t = await startApp(env);
    apps.push(t);
    return t;
  };
  afterAll(async () => {
    for (const t of apps) await t.close();
    await releaseTestDatabase();
  });

  it('bootstraps the admin from ADMIN_USERNAME/ADMIN_PASSWORD; only admins reach admin routes', async () => {
    const adminName = uniqueName('root');
    const t = await start({ ADMIN_USERNAME: adminName, ADMIN_PASSWORD: 'bootstrap-pass-1' });
    const user = await registerUser(t);
    const denied = await t.http
      .get('/api/v1/admin/stats')
      .set(...bearer(user))
      .expect(403);
    expect(denied.body).toEqual({ statusCode: 403, code: 'FORBIDDEN', message: 'Admin role required' });
    await t.http.get('/api/v1/admin/stats').expect(401);

    const login = await t.http
      .post('/api/v1/auth/login')
      .send({ username: adminName, password: 'bootstrap-pass-1' })
      .expect(200);
    expect(login.body.user.role).toBe('admin');
    const stats = await t.http
      .get('/api/v1/admin/stats')
      .set(...bearer(login.body))
      .expect(200);
    expect(stats.body.users).toBeGreaterThanOrEqual(2);
    expect(stats.body.liveSessions).toBeGreaterThanOrEqual(2);

    // Online users, sockets and today's messages move with what happens.
    const friend = await registerUser(t);
    await befriend(t, user, friend);
    const socket = await connect(t, user.accessToken);
    try {
      await t.http
        .post('/api/v1/messages')
        .set(...bearer(user))
        .send({ to: { type: 'user', id: friend.id }, body: 'counted' })
        .expect(201);
      const after = await t.http
        .get('/api/v1/admin/stats')
        .set(...bearer(login.body))
        .expect(200);
      expect(after.body.onlineUsers).toBe(stats.body.onlineUsers + 1);
      expect(after.body.sockets).toBe(stats.body.sockets + 1);
      expect(after.body.messagesToday).toBe(stats.body.messagesToday + 1);
      expect(after.body.tenantsToday).toEqual(expect.any(Array));
    } finally {
      socket.close();
    }

    // A second boot with a new password keeps one admin and moves it to the new password.
    await t.close();
    apps.pop();
    const again = await start({ ADMIN_USERNAME: adminName, ADMIN_PASSWORD: 'rotated-pass-2' });
    await again.http
      .post('/api/v1/auth/login')
      .send({ username: adminName, password: 'bootstrap-pass-1' })
      .expect(401);
    const relogin = await again.http
      .post('/api/v1/auth/login')
      .send({ username: adminName, password: 'rotated-pass-2' })
      .expect(200);
    expect(relogin.body.user.id).toBe(login.body.user.id);
  });

  it('limits logins per username (429 with Retry-After), other usernames unaffected', async () => {
    const t = await start({ RATE_LIMIT_LOGINS_PER_MIN: '3', RATE_LIMIT_LOGINS_PER_IP_PER_MIN: '100' });
    const victim = await registerUser(t);
    const bystander = await registerUser(t);
    for (let i = 0; i < 3; i++) {
      await t.http
        .post('/api/v1/auth/login')
        .send({ username: victim.username, password: 'wrong-guess-1' })
        .expect(401);
    }
    const limited = await t.http
      .post('/api/v1/auth/login')
      .send({ username: victim.username, password: victim.password })
      .expect(429);
    expect(limited.body.code).toBe('RATE_LIMITED');
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // Case does not dodge the limit.
    await t.http
      .post('/api/v1/auth/login')
      .send({ username: victim.username.toUpperCase(), password: victim.password })
      .expect(429);
    await t.http
      .post('/api/v1/auth/login')
      .send({ username: bystander.username, password: bystander.password })
      .expect(200);
  });

  it('limits logins per IP across usernames', async () => {
    const t = await start({ RATE_LIMIT_LOGINS_PER_MIN: '100', RATE_LIMIT_LOGINS_PER_IP_PER_MIN: '4' });
    for (let i = 0; i < 4; i++) {
      await t.http
        .post('/api/v1/auth/login')
        .send({ username: uniqueName('spray'), password: 'guess-1234' })
        .expect(401);
    }
    const limited = await t.http
      .post('/api/v1/auth/login')
      .send({ username: uniqueName('spray'), password: 'guess-1234' })
      .expect(429);
    expect(limited.headers['retry-after']).toBeDefined();
  });

  it('limits registrations per IP', async () => {
    const t = await start({ RATE_LIMIT_REGISTRATIONS_PER_MIN: '2' });
    await registerUser(t);
    await registerUser(t);
    const limited = await t.http
      .post('/api/v1/auth/register')
      .send({ username: uniqueName(), password: 'sunflower-42' })
      .expect(429);
    expect(limited.body.code).toBe('RATE_LIMITED');
  });
});
