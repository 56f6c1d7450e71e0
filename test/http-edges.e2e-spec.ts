import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { releaseTestDatabase, startApp, type TestApp } from './support/app.js';
import { bearer, registerUser } from './support/factories.js';
import { call, socketPool } from './support/sockets.js';

describe('edges a frontend developer trips over', () => {
  let t: TestApp;
  const sockets = socketPool();

  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(async () => {
    await t?.close();
    await releaseTestDatabase();
  });

  it('unknown paths, in and out of /api/v1 and for any method, answer the JSON error shape (404 NOT_FOUND)', async () => {
    const u = await registerUser(t);
    const probes: [string, string][] = [
      ['get', '/nope'],
      ['get', '/'],
      ['post', '/nope/deeper?x=1'],
      ['get', '/docs/nope.js'],
      ['get', '/api/v1/nope'],
      ['delete', '/api/v1/sync'],
      ['get', '/api/v2/messages'],
      ['put', '/healthz/more'],
    ];
    for (const [method, path] of probes) {
      const res = await t.http[method as 'get'](path).set(...bearer(u));
      expect([method, path, res.status, res.headers['content-type']]).toEqual([
        method,
        path,
        404,
        expect.stringContaining('application/json'),
      ]);
      expect(res.body).toEqual({ statusCode: 404, code: 'NOT_FOUND', message: expect.any(String) });
    }
    // What is served still is.
    await t.http.get('/healthz').expect(200);
    await t.http.get('/docs-json').expect(200);
  });

  it('a validation problem shared by many fields is said once in the message, each field keeps its own entry', async () => {
    const u = await registerUser(t);
    const res = await t.http
      .post('/api/v1/messages')
      .set(...bearer(u))
      .send({
        to: { type: 'user', id: randomUUID() },
        body: 'x',
        attachments: [{ id: 'a' }, { id: 'b' }, { id: 'c' }],
      })
      .expect(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    const problems = (res.body.message as string).split('; ');
    expect(problems).toEqual([...new Set(problems)]);
    expect(res.body.details.fields.map((f: { field: string }) => f.field)).toEqual([
      'attachments.0.id',
      'attachments.1.id',
      'attachments.2.id',
    ]);
    // Over the socket too.
    const s = await sockets.open(t, u.accessToken);
    const ack = await call(s, 'message:send', {
      to: { type: 'user', id: randomUUID() },
      body: 'x',
      clientMsgId: randomUUID(),
      attachments: [{ id: 'a' }, { id: 'b' }],
    });
    if (ack.ok) throw new Error('accepted');
    const socketProblems = ack.error.message.split('; ');
    expect(socketProblems).toEqual([...new Set(socketProblems)]);
  });

  it('an unknown socket event with an ack is answered VALIDATION_FAILED and the socket stays usable', async () => {
    const u = await registerUser(t);
    const s = await sockets.open(t, u.accessToken);
    expect(await call(s, 'no:such-event', { x: 1 })).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION_FAILED', message: 'Unknown event: no:such-event' },
    });
    expect(await call(s, 'sync', {})).toMatchObject({ ok: true });
  });

  describe('the invite link', () => {
    const createInvite = async (token: { accessToken: string }, body: object = {}) =>
      (
        await t.http
          .post('/api/v1/friends/invites')
          .set(...bearer(token))
          .send(body)
          .expect(201)
      ).body as {
        code: string;
        url: string;
      };

    it('opens a page naming the inviter (escaped) and saying how to accept; the same as JSON on request', async () => {
      const inviter = await registerUser(t, { displayName: '<script>alert(1)</script> Ann' });
      const invite = await createInvite(inviter);
      const path = new URL(invite.url).pathname;
      expect(path).toBe(`/invite/${invite.code}`);

      const page = await t.http.get(path).expect(200);
      expect(page.headers['content-type']).toContain('text/html');
      expect(page.headers['content-security-policy']).toContain("default-src 'none'");
      expect(page.text).toContain('&#60;script&#62;alert(1)&#60;/script&#62; Ann invites you to be friends');
      expect(page.text).not.toContain('<script>');
      expect(page.text).toContain(`POST /api/v1/friends/invites/${invite.code}/accept`);
      expect(page.text).toMatch(/<img src="data:image\/png;base64,[A-Za-z0-9+/=]+"/);

      const json = await t.http.get(path).set('Accept', 'application/json').expect(200);
      expect(json.body).toEqual({
        code: invite.code,
        url: invite.url,
        inviter: { id: inviter.id, displayName: '<script>alert(1)</script> Ann' },
        expiresAt: expect.any(String),
        state: 'open',
      });
    });

    it('a used invite is 410 Gone, an unknown code 404, both still pages', async () => {
      const inviter = await registerUser(t);
      const invite = await createInvite(inviter);
      const friend = await registerUser(t);
      await t.http
        .post(`/api/v1/friends/invites/${invite.code}/accept`)
        .set(...bearer(friend))
        .expect(200);
      const used = await t.http.get(`/invite/${invite.code}`).expect(410);
      expect(used.text).toContain('was already used');
      expect(
        (await t.http.get(`/invite/${invite.code}`).set('Accept', 'application/json').expect(410)).body,
      ).toMatchObject({
        state: 'used',
      });
      const unknown = await t.http.get('/invite/AAAAAAAAAAAAAAAA').expect(404);
      expect(unknown.text).toContain('Invite not found');
      await t.http.get('/invite/not-a-code').expect(404);
      expect(
        (await t.http.get('/invite/x').set('Accept', 'application/json').expect(404)).body,
      ).toMatchObject({
        code: 'NOT_FOUND',
      });
    });
  });
});
