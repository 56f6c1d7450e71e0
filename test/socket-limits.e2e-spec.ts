import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { releaseTestDatabase, startApp, type TestApp } from './support/app.js';
import { bearer, forgeAccessToken, login, registerUser } from './support/factories.js';
import type { Socket } from 'socket.io-client';
import { call, connect, settle, socketPool, until, waitFor } from './support/sockets.js';

describe('socket limits: sockets per user, per-user budgets, a socket lives no longer than its token', () => {
  let t: TestApp;
  const sockets = socketPool();

  beforeAll(async () => {
    t = await startApp({
      MAX_SOCKETS_PER_USER: '3',
      RATE_LIMIT_SOCKET_EVENTS_PER_10S: '30',
      RATE_LIMIT_SOCKET_READS_PER_10S: '5',
      JWT_ACCESS_TTL_SECONDS: '6',
    });
  });
  afterAll(async () => {
    await t?.close();
    await releaseTestDatabase();
  });

  it('MAX_SOCKETS_PER_USER: one more handshake is refused TOO_MANY_SOCKETS; a closed socket frees its place', async () => {
    const u = await registerUser(t);
    const open = await Promise.all([1, 2, 3].map(() => sockets.open(t, u.accessToken)));
    await expect(connect(t, u.accessToken)).rejects.toThrow('TOO_MANY_SOCKETS');
    // Other users are not affected.
    const other = await registerUser(t);
    await sockets.open(t, other.accessToken);
    // A fresh token: access tokens live 6 s in this file, and a loaded machine can take that long.
    const { accessToken } = await login(t, u);
    open[0]!.close();
    let again: Socket | null = null;
    let refusal: unknown = null;
    for (let i = 0; i < 50 && !again; i++) {
      again = await connect(t, accessToken).catch((error: unknown) => ((refusal = error), null));
      if (!again) await settle(100);
    }
    if (!again) throw new Error(`the closed socket's place was not freed; last refusal: ${String(refusal)}`);
    sockets.track(again);
  });

  it('event budgets count per user over all their sockets; sync has a budget of its own', async () => {
    const u = await registerUser(t);
    const [s1, s2, s3] = await Promise.all([1, 2, 3].map(() => sockets.open(t, u.accessToken)));
    // 3 sockets × 15 typing events: past the user's 30, whatever socket they come from.
    const typing = await Promise.all(
      [s1, s2, s3].flatMap((s) =>
        Array.from({ length: 15 }, () => call(s!, 'typing', { conversationId: randomUUID(), typing: true })),
      ),
    );
    const limited = typing.filter((a) => !a.ok && a.error.code === 'RATE_LIMITED');
    expect(limited.length).toBeGreaterThanOrEqual(15);
    // The read budget is separate: still whole.
    const syncs = await Promise.all(Array.from({ length: 7 }, () => call(s1!, 'sync', {})));
    expect(syncs.filter((a) => a.ok)).toHaveLength(5);
    expect(syncs.filter((a) => !a.ok && a.error.code === 'RATE_LIMITED')).toHaveLength(2);
    expect(s1!.connected && s2!.connected && s3!.connected).toBe(true);
  });

  it('session:expiring before the token ends, auth:refresh with a fresh token of the same session, session:expired and a disconnect at the end', async () => {
    const u = await registerUser(t);
    const s = await sockets.open(t, u.accessToken);
    const expiring = await waitFor<{ expiresAt: string }>(s, 'session:expiring', () => true, 6000);
    const firstEnd = Date.parse(expiring.expiresAt);
    expect(firstEnd).toBeGreaterThan(Date.now());

    // Another session's token, a refresh token, garbage: refused, and nothing changes.
    const other = await registerUser(t);
    for (const token of [other.accessToken, u.refreshToken, 'garbage']) {
      expect(await call(s, 'auth:refresh', { token })).toMatchObject({
        ok: false,
        error: { code: 'UNAUTHORIZED' },
      });
    }
    const refreshed = (
      await t.http.post('/api/v1/auth/refresh').send({ refreshToken: u.refreshToken }).expect(200)
    ).body as { accessToken: string };
    const ack = await call<{ expiresAt: string }>(s, 'auth:refresh', { token: refreshed.accessToken });
    if (!ack.ok) throw new Error(JSON.stringify(ack.error));
    const secondEnd = Date.parse(ack.data.expiresAt);
    expect(secondEnd).toBeGreaterThanOrEqual(firstEnd);

    const reasons: string[] = [];
    s.on('disconnect', (reason) => reasons.push(reason));
    const expired = await waitFor<{ expiresAt: string }>(s, 'session:expired', () => true, 9000);
    expect(Date.parse(expired.expiresAt)).toBe(secondEnd);
    expect(Date.now()).toBeGreaterThanOrEqual(secondEnd - 50);
    await until(() => reasons.length > 0, 3000, 'disconnect');
    expect(reasons).toEqual(['io server disconnect']);
  }, 20_000);

  it('tokens without exp, issued in the future, or claiming a role the database does not give are refused or ignored', async () => {
    const u = await registerUser(t);
    const claims = { sub: u.id, sid: u.sessionId };
    for (const token of [
      await forgeAccessToken(t, claims, { expiresIn: null }),
      await forgeAccessToken(t, { ...claims, iat: Math.floor(Date.now() / 1000) + 3600 }),
    ]) {
      await t.http
        .get('/api/v1/users/me')
        .set(...bearer({ accessToken: token }))
        .expect(401);
      await expect(connect(t, token)).rejects.toThrow('UNAUTHORIZED');
    }
    // A well-formed token of a live session that claims admin: the database says user.
    const admin = await forgeAccessToken(t, { ...claims, role: 'admin' });
    await t.http
      .get('/api/v1/users/me')
      .set(...bearer({ accessToken: admin }))
      .expect(200);
    await t.http
      .get('/api/v1/admin/stats')
      .set(...bearer({ accessToken: admin }))
      .expect(403);
    // Promoted in the database: the same ordinary token now reaches admin routes.
    await t.app.get(DataSource).query(`UPDATE users SET role = 'admin' WHERE id = $1`, [u.id]);
    await t.http
      .get('/api/v1/admin/stats')
      .set(...bearer(u))
      .expect(200);
  });
});
