import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import jsQRModule from 'jsqr';
import { randomUUID } from 'node:crypto';
import { PNG } from 'pngjs';
import { SignJWT, generateKeyPair } from 'jose';
import { releaseTestDatabase, startApp, type TestApp } from './support/app.js';
import { bearer, binaryBody, registerUser } from './support/factories.js';
import { TestIdentityProvider } from './support/identity-provider.js';
import { call, connect, socketPool, waitFor } from './support/sockets.js';

const SERVICE_KEY = 'service-key-0123456789abcdef';
// jsqr is a UMD bundle whose module.exports is the decoder; its typings describe an ES default export.
const jsQR = jsQRModule as unknown as (
  data: Uint8ClampedArray,
  width: number,
  height: number,
) => { data: string } | null;

describe('living inside a host system', () => {
  let idp: TestIdentityProvider;
  let t: TestApp;
  const sockets = socketPool();
  const me = (token: string) => t.http.get('/api/v1/users/me').set('Authorization', `Bearer ${token}`);
  const service = () => ({ 'X-Service-Key': SERVICE_KEY });

  beforeAll(async () => {
    idp = await TestIdentityProvider.start();
    t = await startApp({ ...idp.env(), SERVICE_API_KEYS: `other-key-0123456789abc,${SERVICE_KEY}` });
  });
  afterEach(() => {
    idp.setDown(false);
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
    await releaseTestDatabase();
  });

  describe('host JWTs (JWKS)', () => {
    it('a token signed by the provider signs a new user in over REST and the socket, same user both ways', async () => {
      const sub = `alice-${randomUUID().slice(0, 6)}`;
      const token = await idp.token(sub, { preferred_username: `Alice.${sub}`, name: 'Alice Host' });
      const rest = await me(token).expect(200);
      expect(rest.body).toMatchObject({
        username: `Alice.${sub}`.slice(0, 32),
        displayName: 'Alice Host',
        role: 'user',
      });
      const s = await sockets.open(t, token);
      const ack = await call<{ senderId: string }>(s, 'sync', {});
      expect(ack.ok).toBe(true);
      // Profile changes at the host follow.
      const renamed = await idp.token(sub, { preferred_username: `Alice.${sub}`, name: 'Alice Renamed' });
      expect((await me(renamed).expect(200)).body).toMatchObject({
        id: rest.body.id,
        displayName: 'Alice Renamed',
      });
    });

    it('refuses another key, expiry, wrong issuer or audience, alg none and HS256 with the public key', async () => {
      const sub = `mallory-${randomUUID().slice(0, 6)}`;
      const { privateKey } = await generateKeyPair('RS256');
      const foreign = await new SignJWT({})
        .setProtectedHeader({ alg: 'RS256', kid: 'k1-foreign' })
        .setSubject(sub)
        .setIssuer(idp.issuer)
        .setAudience(idp.audience)
        .setExpirationTime('5m')
        .sign(privateKey);
      const expired = await idp.token(sub, { exp: Math.floor(Date.now() / 1000) - 120 });
      const wrongIssuer = await idp.token(sub, { iss: 'https://evil.test' });
      const wrongAudience = await idp.token(sub, { aud: 'someone-else' });
      const header = (h: object) => Buffer.from(JSON.stringify(h)).toString('base64url');
      const payload = header({
        sub,
        iss: idp.issuer,
        aud: idp.audience,
        exp: Math.floor(Date.now() / 1000) + 300,
      });
      const none = `${header({ alg: 'none', typ: 'JWT' })}.${payload}.`;
      // HS256 "signed" with the provider's public key as the secret: not Relay's own, and never JWKS.
      const { createHmac } = await import('node:crypto');
      const jwks = (await (await fetch(`${idp.url}/jwks`)).json()) as { keys: object[] };
      const hsInput = `${header({ alg: 'HS256', kid: (jwks.keys[0] as { kid: string }).kid })}.${payload}`;
      const hs = `${hsInput}.${createHmac('sha256', JSON.stringify(jwks.keys[0])).update(hsInput).digest('base64url')}`;
      for (const bad of [foreign, expired, wrongIssuer, wrongAudience, none, hs]) {
        const res = await me(bad).expect(401);
        expect(res.body).toEqual({
          statusCode: 401,
          code: 'UNAUTHORIZED',
          message: 'Invalid or expired token',
        });
        await expect(connect(t, bad)).rejects.toThrow('UNAUTHORIZED');
      }
    });

    it('key rotation: new kids work without a restart; old tokens only while their key is published', async () => {
      const sub = `rot-${randomUUID().slice(0, 6)}`;
      const before = await idp.token(sub);
      await me(before).expect(200);
      await new Promise((r) => setTimeout(r, 400)); // the JWKS refetch cooldown of this test setup
      await idp.rotate({ alg: 'ES256' });
      const fresh = await idp.token(sub);
      const hits = idp.jwksHits;
      await me(fresh).expect(200); // unknown kid → one refetch
      expect(idp.jwksHits).toBe(hits + 1);
      await me(before).expect(200); // the old key is still published
      await me(fresh).expect(200);
      expect(idp.jwksHits).toBe(hits + 1); // cached: no more fetches

      await new Promise((r) => setTimeout(r, 400));
      await idp.rotate({ dropOld: true });
      const newest = await idp.token(sub);
      await me(newest).expect(200);
      // The old keys are gone from the set: their tokens stop working before they expire.
      await me(before).expect(401);
      await me(fresh).expect(401);
    });
  });

  describe('opaque tokens (introspection)', () => {
    it('active tokens work, inactive ones are refused', async () => {
      const sub = `opq-${randomUUID().slice(0, 6)}`;
      const active = idp.opaqueToken(sub);
      expect((await me(active).expect(200)).body.username).toBe(`o_${sub}`);
      await me(idp.opaqueToken(sub, false)).expect(401);
      await me(idp.opaqueToken(sub, true, { aud: 'not-us' })).expect(401);
      await me('completely-unknown-token').expect(401);
    });

    it('the provider going down: new logins get 503, Relay keeps running, connected sockets stay', async () => {
      const sub = `down-${randomUUID().slice(0, 6)}`;
      const token = idp.opaqueToken(sub);
      const s = await sockets.open(t, token);
      idp.setDown(true);
      const fresh = idp.opaqueToken(`${sub}-2`);
      const res = await me(fresh).expect(503);
      expect(res.body.code).toBe('SERVICE_UNAVAILABLE');
      // A socket handshake with a token not yet verified is told the same, not UNAUTHORIZED.
      await expect(connect(t, fresh)).rejects.toThrow('SERVICE_UNAVAILABLE');
      await t.http.get('/healthz').expect(200);
      expect((await call(s, 'sync', {})).ok).toBe(true);
      expect(s.connected).toBe(true);
      // The already-verified token still works for a while (cached), without the provider.
      await me(token).expect(200);
      idp.setDown(false);
      await me(fresh).expect(200);
    });
    it('a socket signed in with a host token closes when that token expires', async () => {
      const sub = `exp-${randomUUID().slice(0, 6)}`;
      const token = idp.opaqueToken(sub, true, { exp: Math.floor(Date.now() / 1000) + 2 });
      const s = await sockets.open(t, token);
      const openedAt = Date.now();
      const reason = await new Promise<string>((resolve) => s.on('disconnect', resolve));
      expect(reason).toBe('io server disconnect');
      expect(Date.now() - openedAt).toBeLessThan(3500);
    }, 10_000);
  });

  describe('service API', () => {
    it('refuses a missing or wrong key', async () => {
      await t.http.put('/api/v1/service/users/x1').send({ username: 'x1' }).expect(401);
      await t.http
        .put('/api/v1/service/users/x1')
        .set('X-Service-Key', 'wrong-key-0123456789')
        .send({ username: 'x1' })
        .expect(401);
      const user = await registerUser(t);
      await t.http
        .put('/api/v1/service/users/x1')
        .set(...bearer(user))
        .send({ username: 'x1' })
        .expect(401);
    });

    it('upsert twice is one user; host tokens for that subject are the same user', async () => {
      const ext = `svc-${randomUUID().slice(0, 6)}`;
      const first = await t.http
        .put(`/api/v1/service/users/${ext}`)
        .set(service())
        .send({ username: `bob_${ext}`, displayName: 'Bob' })
        .expect(201);
      const second = await t.http
        .put(`/api/v1/service/users/${ext}`)
        .set(service())
        .send({ username: `bob_${ext}`, displayName: 'Bobby' })
        .expect(200);
      expect(second.body).toMatchObject({ id: first.body.id, externalId: ext, displayName: 'Bobby' });
      const concurrent = await Promise.all(
        Array.from({ length: 5 }, () =>
          t.http
            .put(`/api/v1/service/users/${ext}-c`)
            .set(service())
            .send({ username: `c_${ext}` }),
        ),
      );
      expect(new Set(concurrent.map((r) => r.body.id)).size).toBe(1);
      const token = await idp.token(ext, { preferred_username: `bob_${ext}`, name: 'Bobby' });
      expect((await me(token).expect(200)).body.id).toBe(first.body.id);
      await t.http.put(`/api/v1/service/users/${ext}`).set(service()).send({}).expect(400);
    });

    it('deactivation revokes sessions and disconnects live sockets within a second', async () => {
      const ext = `gone-${randomUUID().slice(0, 6)}`;
      await t.http
        .put(`/api/v1/service/users/${ext}`)
        .set(service())
        .send({ username: `gone_${ext}` })
        .expect(201);
      const token = await idp.token(ext);
      const s = await sockets.open(t, token);
      const gone = new Promise<number>((resolve) => s.on('disconnect', () => resolve(Date.now())));
      const started = Date.now();
      await t.http.delete(`/api/v1/service/users/${ext}`).set(service()).expect(204);
      expect((await gone) - started).toBeLessThan(1000);
      await me(token).expect(401);
      await expect(connect(t, token)).rejects.toThrow('UNAUTHORIZED');
      await t.http.delete(`/api/v1/service/users/nobody-${ext}`).set(service()).expect(404);
    });

    it('mirrored friendships and groups deliver messages like native ones', async () => {
      const tag = randomUUID().slice(0, 6);
      const [a, b, c] = [`ma-${tag}`, `mb-${tag}`, `mc-${tag}`] as const;
      for (const ext of [a, b, c])
        await t.http
          .put(`/api/v1/service/users/${ext}`)
          .set(service())
          .send({ username: `n_${ext}` })
          .expect(201);
      const friends = await t.http
        .put('/api/v1/service/friendships')
        .set(service())
        .send({ a, b })
        .expect(200);
      expect(friends.body.created).toBe(true);
      expect(
        (await t.http.put('/api/v1/service/friendships').set(service()).send({ a, b }).expect(200)).body
          .created,
      ).toBe(false);
      await t.http.put('/api/v1/service/friendships').set(service()).send({ a, b: 'nobody' }).expect(404);

      const ta = await idp.token(a);
      const tb = await idp.token(b);
      const tc = await idp.token(c);
      const group = await t.http
        .put(`/api/v1/service/groups/team-${a}`)
        .set(service())
        .send({ name: 'Host team', memberExternalIds: [a, b] })
        .expect(201);
      const [sa, sb, sc] = await Promise.all([sockets.open(t, ta), sockets.open(t, tb), sockets.open(t, tc)]);
      const direct = waitFor<{ body: string }>(sb, 'message:new', (m) => m.body === 'hi b');
      expect(
        (
          await call(sa, 'message:send', {
            to: { type: 'user', id: friends.body.b },
            body: 'hi b',
            clientMsgId: randomUUID(),
          })
        ).ok,
      ).toBe(true);
      await direct;
      const inGroup = waitFor<{ body: string }>(sb, 'message:new', (m) => m.body === 'hi team');
      expect(
        (
          await call(sa, 'message:send', {
            to: { type: 'group', id: group.body.id },
            body: 'hi team',
            clientMsgId: randomUUID(),
          })
        ).ok,
      ).toBe(true);
      await inGroup;

      // Re-mirroring with c instead of b: b leaves, c joins.
      const left = waitFor(sb, 'conversation:left');
      const joined = waitFor(sc, 'conversation:joined');
      const again = await t.http
        .put(`/api/v1/service/groups/team-${a}`)
        .set(service())
        .send({ name: 'Host team 2', memberExternalIds: [a, c] })
        .expect(200);
      expect(again.body).toMatchObject({ id: group.body.id, name: 'Host team 2', memberCount: 2 });
      await left;
      await joined;
      await t.http
        .put(`/api/v1/service/groups/team-${a}`)
        .set(service())
        .send({ name: 'x', memberExternalIds: ['nobody'] })
        .expect(404);
    });
  });

  describe('friend invites with QR codes', () => {
    it('the QR PNG decodes to the invite URL; accepting makes friends both ways', async () => {
      const [creator, guest] = await Promise.all([registerUser(t), registerUser(t)]);
      const invite = await t.http
        .post('/api/v1/friends/invites')
        .set(...bearer(creator))
        .send({})
        .expect(201);
      expect(invite.body.url).toBe(`${t.url}/invite/${invite.body.code}`);
      const png = await t.http
        .get(`/api/v1/friends/invites/${invite.body.code}/qr`)
        .set(...bearer(guest))
        .buffer(true)
        .parse(binaryBody)
        .expect(200);
      expect(png.headers['content-type']).toBe('image/png');
      const image = PNG.sync.read(png.body as Buffer);
      const decoded = jsQR(new Uint8ClampedArray(image.data), image.width, image.height);
      expect(decoded?.data).toBe(invite.body.url);

      const accepted = await t.http
        .post(`/api/v1/friends/invites/${invite.body.code}/accept`)
        .set(...bearer(guest))
        .expect(200);
      expect(accepted.body).toEqual({ friendId: creator.id });
      const ids = async (u: typeof creator) =>
        (
          await t.http
            .get('/api/v1/friends')
            .set(...bearer(u))
            .expect(200)
        ).body.items.map((f: { id: string }) => f.id);
      expect(await ids(creator)).toEqual([guest.id]);
      expect(await ids(guest)).toEqual([creator.id]);
    });

    it('refuses used, expired, unknown and own invites; multi-use codes serve many', async () => {
      const [creator, g1, g2, g3] = await Promise.all([
        registerUser(t),
        registerUser(t),
        registerUser(t),
        registerUser(t),
      ]);
      const single = (
        await t.http
          .post('/api/v1/friends/invites')
          .set(...bearer(creator))
          .send({})
          .expect(201)
      ).body;
      await t.http
        .post(`/api/v1/friends/invites/${single.code}/accept`)
        .set(...bearer(creator))
        .expect(400);
      const race = await Promise.all(
        [g1, g2].map((g) => t.http.post(`/api/v1/friends/invites/${single.code}/accept`).set(...bearer(g))),
      );
      expect(race.map((r) => r.status).sort()).toEqual([200, 409]);
      await t.http
        .post('/api/v1/friends/invites/AAAAAAAAAAAAAAAA/accept')
        .set(...bearer(g3))
        .expect(404);
      await t.http
        .post('/api/v1/friends/invites/../../x/accept')
        .set(...bearer(g3))
        .expect(404);
      await t.http
        .post('/api/v1/friends/invites')
        .set(...bearer(creator))
        .send({ expiresInSeconds: 5 })
        .expect(400);

      const multi = (
        await t.http
          .post('/api/v1/friends/invites')
          .set(...bearer(creator))
          .send({ multiUse: true, expiresInSeconds: 60 })
          .expect(201)
      ).body;
      await t.http
        .post(`/api/v1/friends/invites/${multi.code}/accept`)
        .set(...bearer(g2))
        .expect(200);
      await t.http
        .post(`/api/v1/friends/invites/${multi.code}/accept`)
        .set(...bearer(g3))
        .expect(200);

      const { DataSource } = await import('typeorm');
      await t.app
        .get(DataSource)
        .query(`UPDATE friend_invites SET expires_at = now() - interval '1 second' WHERE code = $1`, [
          multi.code,
        ]);
      const expired = await t.http
        .post(`/api/v1/friends/invites/${multi.code}/accept`)
        .set(...bearer(g1))
        .expect(409);
      expect(expired.body.message).toMatch(/expired/);
    });
  });
});
