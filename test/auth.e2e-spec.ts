import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { JwtService } from '@nestjs/jwt';
import { DataSource } from 'typeorm';
import { releaseTestDatabase, startApp, type TestApp } from './support/app.js';
import { bearer, registerUser, uniqueName } from './support/factories.js';

describe('auth: accounts, sessions and tokens', () => {
  let t: TestApp;
  let jwt: JwtService;

  beforeAll(async () => {
    t = await startApp();
    jwt = new JwtService({ secret: t.config.jwt.secret });
  });
  afterAll(async () => {
    await t?.close();
    await releaseTestDatabase();
  });

  const sign = (payload: object, options: { audience?: string; issuer?: string; secret?: string } = {}) =>
    jwt.sign(
      { exp: Math.floor(Date.now() / 1000) + 600, ...payload },
      {
        algorithm: 'HS256',
        audience: options.audience ?? t.config.jwt.audience,
        issuer: options.issuer ?? t.config.jwt.issuer,
        ...(options.secret ? { secret: options.secret } : {}),
      },
    );

  it('registers, logs in and calls a protected route', async () => {
    const username = uniqueName('Alice');
    const reg = await t.http
      .post('/api/v1/auth/register')
      .send({ username, password: 'sunflower-42', displayName: 'Alice A.' })
      .expect(201);
    expect(reg.body).toEqual({
      user: {
        id: expect.any(String),
        username,
        displayName: 'Alice A.',
        createdAt: expect.any(String),
        role: 'user',
      },
      accessToken: expect.any(String),
      refreshToken: expect.any(String),
      sessionId: expect.any(String),
    });

    const login = await t.http
      .post('/api/v1/auth/login')
      .send({
        username: username.toUpperCase(),
        password: 'sunflower-42',
        device: { deviceId: 'd-1', platform: 'ios', name: 'Phone' },
      })
      .expect(200);
    expect(login.body.user.id).toBe(reg.body.user.id);
    expect(login.body.sessionId).not.toBe(reg.body.sessionId);

    const me = await t.http
      .get('/api/v1/users/me')
      .set('Authorization', `Bearer ${login.body.accessToken}`)
      .expect(200);
    expect(me.body).toMatchObject({ id: reg.body.user.id, username, displayName: 'Alice A.', role: 'user' });

    const sessions = await t.http
      .get('/api/v1/sessions')
      .set('Authorization', `Bearer ${login.body.accessToken}`)
      .expect(200);
    expect(sessions.body.items).toHaveLength(2);
    const current = sessions.body.items.find((s: { current: boolean }) => s.current);
    expect(current).toMatchObject({
      id: login.body.sessionId,
      deviceId: 'd-1',
      platform: 'ios',
      deviceName: 'Phone',
      state: 'active',
    });
  });

  it('refuses wrong passwords and unknown users alike with 401', async () => {
    const u = await registerUser(t);
    const wrong = await t.http
      .post('/api/v1/auth/login')
      .send({ username: u.username, password: 'not-the-password1' })
      .expect(401);
    const unknown = await t.http
      .post('/api/v1/auth/login')
      .send({ username: uniqueName('ghost'), password: 'whatever-123' })
      .expect(401);
    expect(wrong.body).toEqual({
      statusCode: 401,
      code: 'UNAUTHORIZED',
      message: 'Wrong username or password',
    });
    expect(unknown.body).toEqual(wrong.body);
  });

  describe('refuses bad access tokens with 401 UNAUTHORIZED', () => {
    let u: Awaited<ReturnType<typeof registerUser>>;
    beforeAll(async () => {
      u = await registerUser(t);
    });
    const expect401 = async (token: string | null) => {
      const req = t.http.get('/api/v1/users/me');
      if (token !== null) req.set('Authorization', `Bearer ${token}`);
      const res = await req.expect(401);
      expect(res.body.code).toBe('UNAUTHORIZED');
      expect(res.body.statusCode).toBe(401);
    };
    const claims = () => ({ sub: u.id, sid: u.sessionId, role: 'user', typ: 'access' });

    it('accepts the control token', async () => {
      await t.http
        .get('/api/v1/users/me')
        .set('Authorization', `Bearer ${sign(claims())}`)
        .expect(200);
    });
    it('missing', () => expect401(null));
    it('garbage', () => expect401('not.a.jwt'));
    it('expired beyond the leeway', () =>
      expect401(sign({ ...claims(), exp: Math.floor(Date.now() / 1000) - 120 })));
    it('tampered payload', async () => {
      const [h, , s] = u.accessToken.split('.');
      const forged = Buffer.from(JSON.stringify({ ...claims(), role: 'admin', exp: 9999999999 })).toString(
        'base64url',
      );
      await expect401(`${h}.${forged}.${s}`);
    });
    it('signed with another secret', () =>
      expect401(sign(claims(), { secret: 'another-secret-another-secret-1234567890' })));
    it('wrong audience', () => expect401(sign(claims(), { audience: 'someone-else' })));
    it('wrong issuer', () => expect401(sign(claims(), { issuer: 'someone-else' })));
    it('alg: none', async () => {
      const h = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
      const p = Buffer.from(
        JSON.stringify({
          ...claims(),
          aud: t.config.jwt.audience,
          iss: t.config.jwt.issuer,
          exp: Math.floor(Date.now() / 1000) + 600,
        }),
      ).toString('base64url');
      await expect401(`${h}.${p}.`);
    });
    it('a refresh token', () => expect401(u.refreshToken));
    it('a socket ticket', async () => {
      const ticket = await t.http
        .get('/api/v1/auth/ws-token')
        .set(...bearer(u))
        .expect(200);
      expect(new Date(ticket.body.expiresAt).getTime()).toBeGreaterThan(Date.now());
      await expect401(ticket.body.token);
    });
    it('a token of another type', () => expect401(sign({ ...claims(), typ: 'refresh' })));
    it('a token naming another user’s session', async () => {
      const other = await registerUser(t);
      await expect401(sign({ ...claims(), sid: other.sessionId }));
    });
  });

  it('rotates refresh tokens; replaying a spent one revokes the session', async () => {
    const u = await registerUser(t);
    const first = await t.http
      .post('/api/v1/auth/refresh')
      .send({ refreshToken: u.refreshToken })
      .expect(200);
    expect(first.body.sessionId).toBe(u.sessionId);
    expect(first.body.refreshToken).not.toBe(u.refreshToken);
    await t.http.get('/api/v1/users/me').set('Authorization', `Bearer ${first.body.accessToken}`).expect(200);

    const second = await t.http
      .post('/api/v1/auth/refresh')
      .send({ refreshToken: first.body.refreshToken })
      .expect(200);
    await t.http
      .get('/api/v1/users/me')
      .set('Authorization', `Bearer ${second.body.accessToken}`)
      .expect(200);

    // The first token was spent: presenting it again means it leaked.
    const replay = await t.http
      .post('/api/v1/auth/refresh')
      .send({ refreshToken: u.refreshToken })
      .expect(401);
    expect(replay.body.code).toBe('UNAUTHORIZED');
    // The whole session is gone: its newest tokens stop working too.
    await t.http
      .get('/api/v1/users/me')
      .set('Authorization', `Bearer ${second.body.accessToken}`)
      .expect(401);
    await t.http.post('/api/v1/auth/refresh').send({ refreshToken: second.body.refreshToken }).expect(401);
    // Other sessions of the same user are unaffected.
    const other = await t.http
      .post('/api/v1/auth/login')
      .send({ username: u.username, password: u.password })
      .expect(200);
    await t.http.get('/api/v1/users/me').set('Authorization', `Bearer ${other.body.accessToken}`).expect(200);
  });

  it('refuses unknown refresh tokens without touching any session', async () => {
    const u = await registerUser(t);
    await t.http.post('/api/v1/auth/refresh').send({ refreshToken: 'rt_made-up' }).expect(401);
    await t.http
      .get('/api/v1/users/me')
      .set(...bearer(u))
      .expect(200);
  });

  it('stores refresh tokens only as hashes', async () => {
    const u = await registerUser(t);
    const ds = t.app.get(DataSource);
    const rows: { token_hash: string }[] = await ds.query(
      'SELECT token_hash FROM refresh_tokens WHERE session_id = $1',
      [u.sessionId],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(rows[0]!.token_hash).not.toContain(u.refreshToken);
    const users: { password_hash: string }[] = await ds.query(
      'SELECT password_hash FROM users WHERE id = $1',
      [u.id],
    );
    expect(users[0]!.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,(t=2,p=1|p=1,t=2)\$/);
  });

  it('logout ends the session at once: its access and refresh tokens stop working', async () => {
    const u = await registerUser(t);
    await t.http
      .post('/api/v1/auth/logout')
      .set(...bearer(u))
      .expect(204);
    await t.http
      .get('/api/v1/users/me')
      .set(...bearer(u))
      .expect(401);
    await t.http.post('/api/v1/auth/refresh').send({ refreshToken: u.refreshToken }).expect(401);
    await t.http
      .post('/api/v1/auth/logout')
      .set(...bearer(u))
      .expect(401);
  });

  it('lists, deactivates and revokes the caller’s own sessions only', async () => {
    const u = await registerUser(t);
    const phone = await t.http
      .post('/api/v1/auth/login')
      .send({ username: u.username, password: u.password })
      .expect(200);
    const patched = await t.http
      .patch(`/api/v1/sessions/${phone.body.sessionId}`)
      .set(...bearer(u))
      .send({ state: 'inactive' })
      .expect(200);
    expect(patched.body).toMatchObject({ id: phone.body.sessionId, state: 'inactive', current: false });
    await t.http
      .patch(`/api/v1/sessions/${phone.body.sessionId}`)
      .set(...bearer(u))
      .send({ state: 'asleep' })
      .expect(400);

    const stranger = await registerUser(t);
    await t.http
      .delete(`/api/v1/sessions/${phone.body.sessionId}`)
      .set(...bearer(stranger))
      .expect(404);
    await t.http
      .patch(`/api/v1/sessions/${phone.body.sessionId}`)
      .set(...bearer(stranger))
      .send({ state: 'active' })
      .expect(404);
    await t.http
      .delete('/api/v1/sessions/not-a-uuid')
      .set(...bearer(u))
      .expect(400);

    await t.http
      .delete(`/api/v1/sessions/${phone.body.sessionId}`)
      .set(...bearer(u))
      .expect(204);
    await t.http.get('/api/v1/users/me').set('Authorization', `Bearer ${phone.body.accessToken}`).expect(401);
    const left = await t.http
      .get('/api/v1/sessions')
      .set(...bearer(u))
      .expect(200);
    expect(left.body.items.map((s: { id: string }) => s.id)).toEqual([u.sessionId]);
  });

  describe('registration input', () => {
    const register = (body: unknown) => t.http.post('/api/v1/auth/register').send(body as object);
    const fieldsOf = (body: { details?: { fields?: { field: string }[] } }) =>
      body.details?.fields?.map((f) => f.field) ?? [];

    it('duplicate username (in any case) is 409 CONFLICT', async () => {
      const u = await registerUser(t);
      const res = await register({ username: u.username.toUpperCase(), password: 'sunflower-42' }).expect(
        409,
      );
      expect(res.body).toEqual({ statusCode: 409, code: 'CONFLICT', message: 'Username is already taken' });
    });

    it.each([
      ['weak password', { password: 'short1' }, 'password'],
      ['letters-only password', { password: 'onlyletters' }, 'password'],
      ['overlong password', { password: `a1${'x'.repeat(127)}` }, 'password'],
      ['overlong username', { username: 'u'.repeat(33) }, 'username'],
      ['username with spaces', { username: 'bad name' }, 'username'],
      ['non-string username', { username: 12345 }, 'username'],
      ['array username', { username: ['a', 'b'] }, 'username'],
      ['non-string password', { password: { $gt: '' } }, 'password'],
      ['unknown field', { role: 'admin' }, 'role'],
      ['wrong type displayName', { displayName: 42 }, 'displayName'],
      ['device of wrong shape', { device: { deviceId: 'x', platform: 'Bad Platform!' } }, 'device.platform'],
      ['device as a string', { device: 'phone' }, 'device'],
    ])('%s → 400 VALIDATION_FAILED naming the field, nothing created', async (_name, patch, field) => {
      const username = uniqueName('v');
      const res = await register({ username, password: 'sunflower-42', ...patch }).expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(fieldsOf(res.body)).toContain(field);
      // Nothing partially created: the username is still free.
      await register({ username, password: 'sunflower-42' }).expect(201);
    });

    it('missing body, JSON null and a JSON array are 400', async () => {
      expect((await register(undefined).expect(400)).body.code).toBe('VALIDATION_FAILED');
      expect(
        (
          await t.http
            .post('/api/v1/auth/register')
            .set('Content-Type', 'application/json')
            .send('null')
            .expect(400)
        ).body.code,
      ).toBe('VALIDATION_FAILED');
      expect((await register([]).expect(400)).body.code).toBe('VALIDATION_FAILED');
    });

    it('malformed JSON is 400 and an oversized body is 413', async () => {
      const bad = await t.http
        .post('/api/v1/auth/register')
        .set('Content-Type', 'application/json')
        .send('{"username": ')
        .expect(400);
      expect(bad.body.code).toBe('VALIDATION_FAILED');
      const huge = await register({ username: 'x', password: 'y'.repeat(300 * 1024) }).expect(413);
      expect(huge.body.code).toBe('PAYLOAD_TOO_LARGE');
    });
  });
});
