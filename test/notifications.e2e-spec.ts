import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { decodeProtectedHeader, importSPKI, jwtVerify } from 'jose';
import { NotificationDecider } from '../src/notifications/notification-decider.js';
import { releaseTestDatabase, startApp, type TestApp } from './support/app.js';
import { bearer, registerUser, tenantWithApp, type TestUser } from './support/factories.js';
import {
  ApnsService,
  type BrowserSubscription,
  FcmService,
  type Received,
  WebhookReceiver,
  WebPushService,
} from './support/push-receivers.js';
import { call, settle, socketPool } from './support/sockets.js';

const WINDOW_MS = 400;
const WEBHOOK_SECRET = 'webhook-secret-0123456789';

describe('notifications: subscriptions, decisions, Web Push, APNs, FCM and the webhook', () => {
  let t: TestApp;
  let webPush: WebPushService;
  let apns: ApnsService;
  let fcm: FcmService;
  let hook: WebhookReceiver;
  const sockets = socketPool();

  beforeAll(async () => {
    [webPush, apns, fcm, hook] = await Promise.all([
      WebPushService.start(),
      ApnsService.start(),
      FcmService.start(),
      WebhookReceiver.start(),
    ]);
    t = await startApp({
      DM_POLICY: 'anyone',
      NOTIFY_DELAY_MS: String(WINDOW_MS),
      NOTIFY_RETRY_DELAY_SECONDS: '1',
      PUSH_ENDPOINT_HOSTS: `${webPush.host},fcm.googleapis.com`,
      NOTIFICATION_WEBHOOK_URL: hook.url,
      NOTIFICATION_WEBHOOK_SECRET: WEBHOOK_SECRET,
      ...apns.env(),
      ...fcm.env(),
    });
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([webPush, apns, fcm, hook].map((r) => r?.close()));
    await releaseTestDatabase();
  });

  const subscribe = async (u: TestUser, sub: BrowserSubscription = webPush.subscription()) => {
    await t.http
      .post('/api/v1/push-subscriptions')
      .set(...bearer(u))
      .send({ kind: 'webpush', endpoint: sub.endpoint, keys: sub.keys })
      .expect(201);
    return sub;
  };
  const say = async (from: TestUser, to: { type: 'user' | 'group'; id: string }, body: string) =>
    (
      await t.http
        .post('/api/v1/messages')
        .set(...bearer(from))
        .send({ to, body })
        .expect(201)
    ).body as { id: string; seq: number; conversationId: string };
  const dm = (from: TestUser, to: TestUser, body: string) => say(from, { type: 'user', id: to.id }, body);
  const pushesTo = async (sub: BrowserSubscription, n: number) => {
    return (await webPush.waitFor(n, WebPushService.for(sub))).map((r) => webPush.decrypt(r));
  };
  const hooksFor = (u: TestUser) =>
    hook.received.filter((r) => JSON.parse(r.body.toString()).userId === u.id);
  /** Marks the end of a window: when `marker` has its push, anything else of that window has arrived too. */
  const markerPush = async (from: TestUser) => {
    const marker = await registerUser(t);
    const sub = await subscribe(marker);
    await dm(from, marker, 'marker');
    await pushesTo(sub, 1);
  };

  describe('subscriptions', () => {
    it('registers a Web Push subscription once per endpoint, lists, deletes, and names bad fields', async () => {
      const u = await registerUser(t);
      const sub = webPush.subscription();
      const body = { kind: 'webpush', endpoint: sub.endpoint, keys: sub.keys };
      const first = await t.http
        .post('/api/v1/push-subscriptions')
        .set(...bearer(u))
        .send(body)
        .expect(201);
      expect(first.body).toEqual({
        id: expect.any(String),
        kind: 'webpush',
        sessionId: u.sessionId,
        createdAt: expect.any(String),
      });
      const again = await t.http
        .post('/api/v1/push-subscriptions')
        .set(...bearer(u))
        .send(body)
        .expect(200);
      expect(again.body.id).toBe(first.body.id);

      const refused: [object, string][] = [
        [{ ...body, endpoint: 'https://push.attacker.example/x' }, 'endpoint'],
        [{ ...body, endpoint: 'http://10.0.0.7/x' }, 'endpoint'],
        [{ ...body, endpoint: 'http://169.254.169.254/latest' }, 'endpoint'],
        [{ ...body, endpoint: 'http://fcm.googleapis.com/fcm/send/x' }, 'endpoint'],
        [{ ...body, endpoint: 'not a url' }, 'endpoint'],
        [{ ...body, keys: { ...sub.keys, p256dh: randomBytes(32).toString('base64url') } }, 'keys.p256dh'],
        [{ ...body, keys: { ...sub.keys, auth: 'not*base64' } }, 'keys.auth'],
        [{ ...body, keys: { ...sub.keys, auth: randomBytes(8).toString('base64url') } }, 'keys.auth'],
        [{ kind: 'webpush', endpoint: sub.endpoint }, 'keys'],
        [{ kind: 'carrier-pigeon', token: 'x' }, 'kind'],
        [{ kind: 'apns', token: 'xyz' }, 'token'],
        [{ kind: 'apns', token: 'a'.repeat(64), endpoint: sub.endpoint }, 'endpoint'],
        [{ kind: 'fcm' }, 'token'],
        [{ ...body, extra: 1 }, 'extra'],
      ];
      for (const [bad, field] of refused) {
        const res = await t.http
          .post('/api/v1/push-subscriptions')
          .set(...bearer(u))
          .send(bad)
          .expect(400);
        expect(res.body.code).toBe('VALIDATION_FAILED');
        expect((res.body.details.fields as { field: string }[]).map((f) => f.field)).toContain(field);
      }

      const apnsToken = randomBytes(32).toString('hex');
      await t.http
        .post('/api/v1/push-subscriptions')
        .set(...bearer(u))
        .send({ kind: 'apns', token: apnsToken })
        .expect(201);
      const list = await t.http
        .get('/api/v1/push-subscriptions?limit=1')
        .set(...bearer(u))
        .expect(200);
      expect(list.body.items).toHaveLength(1);
      expect(list.body.nextCursor).toEqual(expect.any(String));
      const rest = await t.http
        .get(`/api/v1/push-subscriptions?cursor=${list.body.nextCursor}`)
        .set(...bearer(u))
        .expect(200);
      expect([...list.body.items, ...rest.body.items].map((s: { kind: string }) => s.kind).sort()).toEqual([
        'apns',
        'webpush',
      ]);

      const other = await registerUser(t);
      await t.http
        .delete(`/api/v1/push-subscriptions/${first.body.id}`)
        .set(...bearer(other))
        .expect(404);
      await t.http
        .delete(`/api/v1/push-subscriptions/${first.body.id}`)
        .set(...bearer(u))
        .expect(204);
      const after = await t.http
        .get('/api/v1/push-subscriptions')
        .set(...bearer(u))
        .expect(200);
      expect(after.body.items.map((s: { kind: string }) => s.kind)).toEqual(['apns']);
    });

    it('holds at most 50 subscriptions per user; registering one of them again still works', async () => {
      const u = await registerUser(t);
      const register = (token: string) =>
        t.http
          .post('/api/v1/push-subscriptions')
          .set(...bearer(u))
          .send({ kind: 'apns', token });
      const tokens = Array.from({ length: 50 }, () => randomBytes(32).toString('hex'));
      for (const token of tokens) await register(token).expect(201);
      const refused = await register(randomBytes(32).toString('hex')).expect(429);
      expect(refused.body.code).toBe('QUOTA_EXCEEDED');
      await register(tokens[0]!).expect(200);
      const page = await t.http
        .get('/api/v1/push-subscriptions?limit=100')
        .set(...bearer(u))
        .expect(200);
      expect(page.body.items).toHaveLength(50);
    });

    it('serves the VAPID public key without a token, and pushes are signed with it', async () => {
      const res = await t.http.get('/api/v1/push/vapid-public-key').expect(200);
      expect(Buffer.from(res.body.publicKey, 'base64url')).toHaveLength(65);
      const [a, b] = await Promise.all([registerUser(t), registerUser(t)]);
      const sub = await subscribe(b);
      await dm(a, b, 'signed?');
      await pushesTo(sub, 1);
      const auth = webPush.to(sub)[0]!.headers.authorization!;
      const [, jwt, key] = /^vapid t=([^,]+), k=(.+)$/.exec(auth)!;
      expect(key).toBe(res.body.publicKey);
      const raw = Buffer.from(key!, 'base64url');
      const spki = Buffer.concat([
        Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex'),
        raw,
      ]);
      const pem = `-----BEGIN PUBLIC KEY-----\n${spki.toString('base64')}\n-----END PUBLIC KEY-----`;
      const { payload } = await jwtVerify(jwt!, await importSPKI(pem, 'ES256'));
      expect(payload.aud).toBe(new URL(sub.endpoint).origin);
    });

    it('revoking a session deletes its subscriptions', async () => {
      const u = await registerUser(t);
      await subscribe(u);
      await t.http
        .post('/api/v1/auth/logout')
        .set(...bearer(u))
        .expect(204);
      const login = await t.http
        .post('/api/v1/auth/login')
        .send({ username: u.username, password: u.password })
        .expect(200);
      const list = await t.http
        .get('/api/v1/push-subscriptions')
        .set('Authorization', `Bearer ${login.body.accessToken}`)
        .expect(200);
      expect(list.body.items).toEqual([]);
    });
  });

  describe('who is told, and what', () => {
    it('an offline recipient gets one encrypted Web Push with the design’s fields; the sender gets none', async () => {
      const a = await registerUser(t, { displayName: 'Ada Lovelace' });
      const b = await registerUser(t);
      const [subA, subB] = [await subscribe(a), await subscribe(b)];
      const sent = await dm(a, b, 'hello there');
      const [payload] = await pushesTo(subB, 1);
      expect(payload).toEqual({
        type: 'message',
        jobId: expect.any(String),
        conversationId: sent.conversationId,
        messageId: sent.id,
        seq: 1,
        count: 1,
        title: 'Ada Lovelace',
        body: 'hello there',
      });
      const request = webPush.to(subB)[0]!;
      expect(request.headers['content-encoding']).toBe('aes128gcm');
      expect(request.headers.ttl).toBe('86400');
      expect(request.headers.topic).toBe(sent.conversationId.replace(/-/g, ''));
      await markerPush(b);
      expect(webPush.to(subA)).toHaveLength(0);
    });

    it('a recipient with an active socket gets nothing; one whose sockets are all inactive does', async () => {
      const a = await registerUser(t);
      const [online, away] = await Promise.all([registerUser(t), registerUser(t)]);
      const [subOnline, subAway] = [await subscribe(online), await subscribe(away)];
      await sockets.open(t, online.accessToken);
      const awaySocket = await sockets.open(t, away.accessToken);
      expect(await call(awaySocket, 'session:state', { state: 'inactive' })).toEqual({ ok: true, data: {} });
      await dm(a, online, 'you are here');
      await dm(a, away, 'you are away');
      await pushesTo(subAway, 1);
      await markerPush(a);
      expect(webPush.to(subOnline)).toHaveLength(0);
    });

    it('ten messages in one window are one notification with count 10 and the latest preview; two conversations are two', async () => {
      const [a, c, b] = await Promise.all([
        registerUser(t),
        registerUser(t, { displayName: 'Cy' }),
        registerUser(t),
      ]);
      const sub = await subscribe(b);
      for (let i = 1; i <= 10; i++) await dm(a, b, `burst ${i}`);
      await dm(c, b, 'from c');
      const payloads = await pushesTo(sub, 2);
      await markerPush(a);
      expect(webPush.to(sub)).toHaveLength(2);
      const byTitle = Object.fromEntries(payloads.map((p) => [p.title === 'Cy' ? 'c' : 'a', p]));
      expect(byTitle.a).toMatchObject({ count: 10, seq: 10, body: 'burst 10' });
      expect(byTitle.c).toMatchObject({ count: 1, seq: 1, body: 'from c' });
    });

    it('a message read before the window closes is not notified; the next window counts only what is new', async () => {
      const [a, b] = await Promise.all([registerUser(t), registerUser(t)]);
      const sub = await subscribe(b);
      const first = await dm(a, b, 'read me');
      await t.http
        .post(`/api/v1/conversations/${first.conversationId}/read`)
        .set(...bearer(b))
        .send({ seq: first.seq })
        .expect(204);
      await markerPush(a);
      expect(webPush.to(sub)).toHaveLength(0);
      await dm(a, b, 'second');
      const [payload] = await pushesTo(sub, 1);
      expect(payload).toMatchObject({ count: 1, seq: 2, body: 'second' });
    });

    it('mute, do-not-disturb and previews change what is sent', async () => {
      const [a, b] = await Promise.all([registerUser(t), registerUser(t)]);
      const sub = await subscribe(b);
      const opening = await dm(a, b, 'opening');
      await pushesTo(sub, 1);
      const conversation = opening.conversationId;

      await t.http
        .put(`/api/v1/conversations/${conversation}/mute`)
        .set(...bearer(b))
        .send({ until: new Date(Date.now() - 1000).toISOString() })
        .expect(400);
      await t.http
        .put(`/api/v1/conversations/${randomUUID()}/mute`)
        .set(...bearer(b))
        .send({})
        .expect(404);
      await t.http
        .put(`/api/v1/conversations/${conversation}/mute`)
        .set(...bearer(b))
        .send({})
        .expect(204);
      await dm(a, b, 'muted');
      await markerPush(a);
      expect(webPush.to(sub)).toHaveLength(1);
      await t.http
        .delete(`/api/v1/conversations/${conversation}/mute`)
        .set(...bearer(b))
        .expect(204);

      const dnd = await t.http
        .put('/api/v1/users/me/notification-settings')
        .set(...bearer(b))
        .send({ doNotDisturbUntil: new Date(Date.now() + 3_600_000).toISOString() })
        .expect(200);
      expect(dnd.body).toEqual({ showPreviews: true, doNotDisturbUntil: expect.any(String) });
      await dm(a, b, 'do not disturb');
      await markerPush(a);
      expect(webPush.to(sub)).toHaveLength(1);

      const quiet = await t.http
        .put('/api/v1/users/me/notification-settings')
        .set(...bearer(b))
        .send({ doNotDisturbUntil: null, showPreviews: false })
        .expect(200);
      expect(quiet.body).toEqual({ showPreviews: false, doNotDisturbUntil: null });
      await t.http
        .put('/api/v1/users/me/notification-settings')
        .set(...bearer(b))
        .send({ showPreviews: 'no' })
        .expect(400);
      const secret = await dm(a, b, 'the secret text');
      const payloads = await pushesTo(sub, 2);
      // Messages of a mute or do-not-disturb are not told later either: only the new one counts.
      expect(payloads[1]).toMatchObject({ body: 'New message', count: 1, messageId: secret.id });
      expect(JSON.stringify(hooksFor(b).map((r) => r.body.toString()))).not.toContain('the secret text');
      expect(
        (
          await t.http
            .get('/api/v1/users/me/notification-settings')
            .set(...bearer(b))
            .expect(200)
        ).body,
      ).toEqual({ showPreviews: false, doNotDisturbUntil: null });
    });

    it('a blocked sender is silent in a group; the others are told, with the group’s name as title', async () => {
      const [owner, blocked, b] = await Promise.all([registerUser(t), registerUser(t), registerUser(t)]);
      const group = (
        await t.http
          .post('/api/v1/groups')
          .set(...bearer(owner))
          .send({ name: 'Climbers', memberIds: [blocked.id, b.id] })
          .expect(201)
      ).body as { id: string };
      const sub = await subscribe(b);
      await t.http
        .post(`/api/v1/blocks/${blocked.id}`)
        .set(...bearer(b))
        .expect(201);
      await say(blocked, { type: 'group', id: group.id }, 'from the blocked one');
      await markerPush(owner);
      expect(webPush.to(sub)).toHaveLength(0);
      await say(owner, { type: 'group', id: group.id }, 'from the owner');
      const [payload] = await pushesTo(sub, 1);
      expect(payload).toMatchObject({ title: 'Climbers', body: 'from the owner', count: 1 });
    });

    it('an application the user mutes before the window closes is not notified', async () => {
      const { owner, members, app } = await tenantWithApp(t, 1);
      const b = members[0]!;
      const sub = await subscribe(b);
      const push = () =>
        t.http
          .post('/api/v1/apps/push')
          .set('X-App-Key', app.apiKey)
          .send({ toUserIds: [b.id], body: 'payslip' });
      await push().expect(200);
      const [payload] = await pushesTo(sub, 1);
      expect(payload).toMatchObject({ title: 'Payroll', body: 'payslip' });

      await push().expect(200);
      await t.http
        .post(`/api/v1/apps/${app.id}/mute`)
        .set(...bearer(b))
        .expect(204);
      await markerPush(owner);
      await settle(WINDOW_MS);
      expect(webPush.to(sub)).toHaveLength(1);
    });
  });

  describe('each window told once, to its owner', () => {
    it('a window decided twice at once (two nodes, a retried job) is told once', async () => {
      const [a, b] = await Promise.all([registerUser(t), registerUser(t)]);
      const sub = await subscribe(b);
      const sent = await dm(a, b, 'once only');
      const decider = t.app.get(NotificationDecider);
      const window = { userId: b.id, conversationId: sent.conversationId };
      await Promise.all([decider.decide([window]), decider.decide([window, window])]);
      await pushesTo(sub, 1);
      await markerPush(a);
      await settle(WINDOW_MS);
      expect(webPush.to(sub)).toHaveLength(1);
    });

    it('a device registered again by another user no longer gets the first user’s notifications', async () => {
      const [a, b, c] = await Promise.all([registerUser(t), registerUser(t), registerUser(t)]);
      const sub = await subscribe(b);
      await dm(a, b, 'for b only');
      const again = await t.http
        .post('/api/v1/push-subscriptions')
        .set(...bearer(c))
        .send({ kind: 'webpush', endpoint: sub.endpoint, keys: sub.keys })
        .expect(200);
      expect(again.body.sessionId).toBe(c.sessionId);
      await markerPush(a);
      await settle(WINDOW_MS);
      expect(webPush.to(sub)).toHaveLength(0);
      await dm(a, c, 'for c');
      const [payload] = await pushesTo(sub, 1);
      expect(payload).toMatchObject({ body: 'for c' });
    });
  });

  describe('delivery', () => {
    it('retries a failing push service with backoff and the same job id; exactly one delivery is accepted', async () => {
      const [a, b] = await Promise.all([registerUser(t), registerUser(t)]);
      const sub = await subscribe(b);
      webPush.answerNext(WebPushService.for(sub), { status: 500 }, { status: 503 });
      await dm(a, b, 'third time lucky');
      const tries = await webPush.waitFor(3, WebPushService.for(sub), 20_000);
      const ids = tries.map((r) => webPush.decrypt(r).jobId);
      expect(new Set(ids).size).toBe(1);
      // Exponential backoff with jitter: about 1-2 s, then 2-4 s (plus the poll interval).
      expect(tries[1]!.at - tries[0]!.at).toBeGreaterThanOrEqual(900);
      expect(tries[2]!.at - tries[1]!.at).toBeGreaterThanOrEqual(1900);
      await settle(2500);
      expect(webPush.to(sub)).toHaveLength(3);
    });

    it('a subscription the push service reports gone (410) is deleted', async () => {
      const [a, b] = await Promise.all([registerUser(t), registerUser(t)]);
      const sub = await subscribe(b);
      webPush.answerNext(WebPushService.for(sub), { status: 410 });
      await dm(a, b, 'anyone there?');
      await pushesTo(sub, 1);
      await expectSubscriptions(b, 0);
    });

    it('APNs over HTTP/2 with token auth: the job id is the apns-id; Unregistered deletes the token', async () => {
      const a = await registerUser(t, { displayName: 'Apple Seed' });
      const b = await registerUser(t);
      const token = randomBytes(32).toString('hex');
      await t.http
        .post('/api/v1/push-subscriptions')
        .set(...bearer(b))
        .send({ kind: 'apns', token })
        .expect(201);
      const sent = await dm(a, b, 'to an iPhone');
      const [request] = await apns.waitFor(1, (r) => r.path === `/3/device/${token}`);
      expect(request!.headers['apns-topic']).toBe('com.example.relay');
      expect(request!.headers['apns-push-type']).toBe('alert');
      const body = JSON.parse(request!.body.toString()) as Record<string, unknown>;
      expect(body).toMatchObject({
        aps: { alert: { title: 'Apple Seed', body: 'to an iPhone' }, 'thread-id': sent.conversationId },
        type: 'message',
        conversationId: sent.conversationId,
        messageId: sent.id,
        seq: 1,
        count: 1,
        jobId: request!.headers['apns-id'],
      });
      const jwt = String(request!.headers.authorization).replace(/^bearer /, '');
      expect(decodeProtectedHeader(jwt)).toMatchObject({ alg: 'ES256', kid: 'ABC123DEFG' });
      const { payload } = await jwtVerify(jwt, apns.key.publicKey);
      expect(payload.iss).toBe('TEAM123456');

      apns.answerNext((r) => r.path === `/3/device/${token}`, {
        status: 410,
        json: { reason: 'Unregistered' },
      });
      await dm(a, b, 'again');
      await apns.waitFor(2, (r) => r.path === `/3/device/${token}`);
      await expectSubscriptions(b, 0);
    });

    it('FCM HTTP v1: a service-account token, then messages:send; UNREGISTERED deletes the token', async () => {
      const a = await registerUser(t, { displayName: 'Droid' });
      const b = await registerUser(t);
      const token = `fcm-${randomBytes(24).toString('base64url')}`;
      await t.http
        .post('/api/v1/push-subscriptions')
        .set(...bearer(b))
        .send({ kind: 'fcm', token })
        .expect(201);
      const sent = await dm(a, b, 'to an Android');
      const isMine = (r: Received) =>
        r.path.endsWith('/messages:send') && JSON.parse(r.body.toString()).message.token === token;
      const [request] = await fcm.waitFor(1, isMine);
      expect(request!.path).toBe('/v1/projects/relay-test/messages:send');
      expect(request!.headers.authorization).toBe(`Bearer ${fcm.accessToken}`);
      const { message } = JSON.parse(request!.body.toString()) as { message: Record<string, unknown> };
      expect(message.notification).toEqual({ title: 'Droid', body: 'to an Android' });
      expect(message.data).toMatchObject({
        type: 'message',
        conversationId: sent.conversationId,
        messageId: sent.id,
        seq: '1',
        count: '1',
      });
      const grant = new URLSearchParams(fcm.received.find((r) => r.path === '/token')!.body.toString());
      expect(grant.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
      const { payload } = await jwtVerify(grant.get('assertion')!, fcm.keys.publicKey);
      expect(payload).toMatchObject({
        iss: 'relay@relay-test.iam.gserviceaccount.com',
        aud: fcm.env().FCM_TOKEN_URL,
      });

      fcm.answerNext(isMine, {
        status: 404,
        json: { error: { status: 'NOT_FOUND', details: [{ errorCode: 'UNREGISTERED' }] } },
      });
      await dm(a, b, 'again');
      await fcm.waitFor(2, isMine);
      await expectSubscriptions(b, 0);
    });

    it('the webhook gets every notification, signed: the signature verifies, a tampered body does not', async () => {
      const [a, b] = await Promise.all([registerUser(t, { displayName: 'Hooker' }), registerUser(t)]);
      const sent = await dm(a, b, 'no subscriptions needed');
      const [request] = await hook.waitFor(1, (r) => JSON.parse(r.body.toString()).userId === b.id);
      const raw = request!.body.toString();
      const body = JSON.parse(raw) as Record<string, unknown>;
      expect(body).toEqual({
        jobId: request!.headers['x-relay-job-id'],
        userId: b.id,
        conversationId: sent.conversationId,
        messageId: sent.id,
        seq: 1,
        count: 1,
        title: 'Hooker',
        body: 'no subscriptions needed',
      });
      const sign = (text: string) =>
        `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(text).digest('hex')}`;
      expect(request!.headers['x-relay-signature']).toBe(sign(raw));
      expect(request!.headers['x-relay-signature']).not.toBe(
        sign(raw.replace('no subscriptions', 'tampered')),
      );
    });

    it('a group of 200 offline members: one message makes 199 notifications, one per member', async () => {
      const owner = await registerUser(t);
      const members = await Promise.all(Array.from({ length: 199 }, () => registerUser(t)));
      const group = (
        await t.http
          .post('/api/v1/groups')
          .set(...bearer(owner))
          .send({ name: 'Crowd', memberIds: members.map((m) => m.id) })
          .expect(201)
      ).body as { id: string };
      const before = hook.received.length;
      await say(owner, { type: 'group', id: group.id }, 'hello crowd');
      const ids = new Set(members.map((m) => m.id));
      const received = await hook.waitFor(199, (r) => ids.has(JSON.parse(r.body.toString()).userId), 30_000);
      expect(new Set(received.map((r) => JSON.parse(r.body.toString()).userId)).size).toBe(199);
      expect(hook.received.length - before).toBe(199);
      // Each job is marked done just after its POST was answered: wait for the count to catch up.
      const finished = async () => {
        const text = (await t.http.get('/metrics').expect(200)).text;
        const m = /relay_notification_jobs_finished_total\{queue="webhook",outcome="completed"\} (\d+)/.exec(
          text,
        );
        return { text, completed: Number(m?.[1] ?? 0) };
      };
      let metrics = await finished();
      for (let i = 0; metrics.completed < 199 && i < 50; i++) {
        await settle(100);
        metrics = await finished();
      }
      expect(metrics.completed).toBeGreaterThanOrEqual(199);
      expect(metrics.text).toMatch(/relay_notification_jobs\{queue="notify",state="created"\} \d+/);
      expect(metrics.text).toMatch(
        /relay_push_duration_seconds_count\{provider="webhook",outcome="delivered"\} \d+/,
      );
    }, 90_000);
  });

  async function expectSubscriptions(u: TestUser, n: number): Promise<void> {
    for (let i = 0; ; i++) {
      const list = await t.http
        .get('/api/v1/push-subscriptions')
        .set(...bearer(u))
        .expect(200);
      if (list.body.items.length === n) return;
      if (i > 50) throw new Error(`expected ${n} subscriptions, have ${list.body.items.length}`);
      await settle(100);
    }
  }
});
