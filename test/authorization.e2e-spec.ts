import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { SocketRouter } from '../src/realtime/socket-router.js';
import { releaseTestDatabase, startApp, type TestApp } from './support/app.js';
import {
  adminAccount,
  befriend,
  bearer,
  createGroup,
  forgeAccessToken,
  login,
  registerUser,
  type TestUser,
} from './support/factories.js';
import { call, connect, socketPool, until, waitFor } from './support/sockets.js';

/**
 * The authorisation matrix. Every route of the OpenAPI document and every socket event must have a
 * row here (a new one without a row fails the test). A row says who may call it; from that the
 * generic refusals are generated: no token, a garbage token, an expired one, a stale signature, a
 * revoked session, a lower role (admin routes), a missing or wrong key (application and service
 * routes). Rows of routes that act on someone's resource also say what an outsider (another user,
 * admin of another tenant) and a lower role (a tenant or group member) get on the owner's resource.
 */
type Who = 'public' | 'user' | 'admin' | 'app' | 'service';
interface F {
  a: TestUser;
  outsider: TestUser;
  member: TestUser;
  friend: TestUser;
  messageId: string;
  conversationId: string;
  groupId: string;
  tenantId: string;
  unitId: string;
  appId: string;
  attachmentId: string;
  subscriptionId: string;
  requestId: string;
}
interface Foreign {
  as: 'outsider' | 'member';
  path: (f: F) => string;
  body?: (f: F) => object;
  expect: number[];
}
interface Row {
  who: Who;
  foreign?: Foreign[];
}

const mine = (path: (f: F) => string, body?: (f: F) => object): Foreign => ({
  as: 'outsider',
  path,
  body,
  expect: [403, 404],
});
const lower = (path: (f: F) => string, body?: (f: F) => object): Foreign => ({
  as: 'member',
  path,
  body,
  expect: [403],
});

const ROUTES: Record<string, Row> = {
  'GET /api/v1/users/me': { who: 'user' },
  'PATCH /api/v1/users/me': { who: 'user' },
  'GET /api/v1/users': { who: 'user' },
  'GET /api/v1/users/{id}': { who: 'user' },
  'POST /api/v1/friends/invites': { who: 'user' },
  'GET /api/v1/friends/invites/{code}/qr': { who: 'user' },
  'POST /api/v1/friends/invites/{code}/accept': { who: 'user' },
  'GET /invite/{code}': { who: 'public' },
  'POST /api/v1/friends/requests': { who: 'user' },
  'GET /api/v1/friends/requests': { who: 'user' },
  'POST /api/v1/friends/requests/{id}/accept': {
    who: 'user',
    foreign: [mine((f) => `/api/v1/friends/requests/${f.requestId}/accept`)],
  },
  'POST /api/v1/friends/requests/{id}/decline': {
    who: 'user',
    foreign: [mine((f) => `/api/v1/friends/requests/${f.requestId}/decline`)],
  },
  'GET /api/v1/friends': { who: 'user' },
  'DELETE /api/v1/friends/{userId}': { who: 'user' },
  'POST /api/v1/blocks/{userId}': { who: 'user' },
  'DELETE /api/v1/blocks/{userId}': { who: 'user' },
  'GET /api/v1/blocks': { who: 'user' },
  'POST /api/v1/auth/register': { who: 'public' },
  'POST /api/v1/auth/login': { who: 'public' },
  'POST /api/v1/auth/refresh': { who: 'public' },
  'POST /api/v1/auth/logout': { who: 'user' },
  'GET /api/v1/auth/ws-token': { who: 'user' },
  'GET /api/v1/sessions': { who: 'user' },
  'PATCH /api/v1/sessions/{id}': {
    who: 'user',
    foreign: [
      mine(
        (f) => `/api/v1/sessions/${f.a.sessionId}`,
        () => ({ state: 'inactive' }),
      ),
    ],
  },
  'DELETE /api/v1/sessions/{id}': {
    who: 'user',
    foreign: [mine((f) => `/api/v1/sessions/${f.a.sessionId}`)],
  },
  'POST /api/v1/messages': {
    who: 'user',
    foreign: [
      mine(
        () => '/api/v1/messages',
        (f) => ({ conversationId: f.conversationId, body: 'in' }),
      ),
    ],
  },
  'GET /api/v1/messages': { who: 'user' },
  'POST /api/v1/users/{id}/friends/{friendId}/message': {
    who: 'user',
    foreign: [
      mine(
        (f) => `/api/v1/users/${f.a.id}/friends/${f.friend.id}/message`,
        () => ({ body: 'spoof' }),
      ),
    ],
  },
  'PATCH /api/v1/messages/{id}': {
    who: 'user',
    foreign: [
      mine(
        (f) => `/api/v1/messages/${f.messageId}`,
        () => ({ body: 'edited' }),
      ),
    ],
  },
  'DELETE /api/v1/messages/{id}': { who: 'user', foreign: [mine((f) => `/api/v1/messages/${f.messageId}`)] },
  'POST /api/v1/sync': { who: 'user' },
  'GET /api/v1/conversations': { who: 'user' },
  'GET /api/v1/conversations/{id}/messages': {
    who: 'user',
    foreign: [mine((f) => `/api/v1/conversations/${f.conversationId}/messages`)],
  },
  'PUT /api/v1/conversations/{id}/mute': {
    who: 'user',
    foreign: [
      mine(
        (f) => `/api/v1/conversations/${f.conversationId}/mute`,
        () => ({}),
      ),
    ],
  },
  'DELETE /api/v1/conversations/{id}/mute': {
    who: 'user',
    foreign: [mine((f) => `/api/v1/conversations/${f.conversationId}/mute`)],
  },
  'POST /api/v1/conversations/{id}/read': {
    who: 'user',
    foreign: [
      mine(
        (f) => `/api/v1/conversations/${f.conversationId}/read`,
        () => ({ seq: 1 }),
      ),
    ],
  },
  'POST /api/v1/attachments': { who: 'user' },
  'GET /api/v1/attachments/{id}': {
    who: 'user',
    foreign: [mine((f) => `/api/v1/attachments/${f.attachmentId}`)],
  },
  'GET /api/v1/connections': { who: 'user' },
  'POST /api/v1/tenants': { who: 'user' },
  'GET /api/v1/tenants': { who: 'user' },
  'POST /api/v1/tenants/{id}/members': {
    who: 'user',
    foreign: [
      mine(
        (f) => `/api/v1/tenants/${f.tenantId}/members`,
        (f) => ({ userId: f.outsider.id, role: 'admin' }),
      ),
      lower(
        (f) => `/api/v1/tenants/${f.tenantId}/members`,
        (f) => ({ userId: f.friend.id, role: 'member' }),
      ),
    ],
  },
  'POST /api/v1/tenants/{id}/org-units': {
    who: 'user',
    foreign: [
      mine(
        (f) => `/api/v1/tenants/${f.tenantId}/org-units`,
        () => ({ name: 'x' }),
      ),
      lower(
        (f) => `/api/v1/tenants/${f.tenantId}/org-units`,
        () => ({ name: 'x' }),
      ),
    ],
  },
  'GET /api/v1/tenants/{id}/org-units': {
    who: 'user',
    foreign: [mine((f) => `/api/v1/tenants/${f.tenantId}/org-units`)],
  },
  'GET /api/v1/tenants/{id}/quota': { who: 'admin' },
  'PUT /api/v1/tenants/{id}/quota': { who: 'admin' },
  'POST /api/v1/org-units/{id}/members': {
    who: 'user',
    foreign: [
      mine(
        (f) => `/api/v1/org-units/${f.unitId}/members`,
        (f) => ({ userIds: [f.outsider.id] }),
      ),
      lower(
        (f) => `/api/v1/org-units/${f.unitId}/members`,
        (f) => ({ userIds: [f.member.id] }),
      ),
    ],
  },
  'GET /api/v1/org-units/{id}/members': {
    who: 'user',
    foreign: [mine((f) => `/api/v1/org-units/${f.unitId}/members`)],
  },
  'DELETE /api/v1/org-units/{id}/members/{userId}': {
    who: 'user',
    foreign: [
      mine((f) => `/api/v1/org-units/${f.unitId}/members/${f.member.id}`),
      lower((f) => `/api/v1/org-units/${f.unitId}/members/${f.a.id}`),
    ],
  },
  'PATCH /api/v1/org-units/{id}': {
    who: 'user',
    foreign: [
      mine(
        (f) => `/api/v1/org-units/${f.unitId}`,
        () => ({ name: 'taken' }),
      ),
      lower(
        (f) => `/api/v1/org-units/${f.unitId}`,
        () => ({ name: 'taken' }),
      ),
    ],
  },
  'POST /api/v1/groups': { who: 'user' },
  'GET /api/v1/groups': { who: 'user' },
  'GET /api/v1/groups/public': { who: 'user' },
  'GET /api/v1/groups/{id}': { who: 'user', foreign: [mine((f) => `/api/v1/groups/${f.groupId}`)] },
  'PATCH /api/v1/groups/{id}': {
    who: 'user',
    foreign: [
      mine(
        (f) => `/api/v1/groups/${f.groupId}`,
        () => ({ name: 'mine' }),
      ),
      lower(
        (f) => `/api/v1/groups/${f.groupId}`,
        () => ({ name: 'mine' }),
      ),
    ],
  },
  'DELETE /api/v1/groups/{id}': {
    who: 'user',
    foreign: [mine((f) => `/api/v1/groups/${f.groupId}`), lower((f) => `/api/v1/groups/${f.groupId}`)],
  },
  'GET /api/v1/groups/{id}/members': {
    who: 'user',
    foreign: [mine((f) => `/api/v1/groups/${f.groupId}/members`)],
  },
  'POST /api/v1/groups/{id}/members': {
    who: 'user',
    foreign: [
      mine(
        (f) => `/api/v1/groups/${f.groupId}/members`,
        (f) => ({ userIds: [f.outsider.id] }),
      ),
      lower(
        (f) => `/api/v1/groups/${f.groupId}/members`,
        (f) => ({ userIds: [f.outsider.id] }),
      ),
    ],
  },
  'DELETE /api/v1/groups/{id}/members/{userId}': {
    who: 'user',
    foreign: [
      mine((f) => `/api/v1/groups/${f.groupId}/members/${f.member.id}`),
      lower((f) => `/api/v1/groups/${f.groupId}/members/${f.a.id}`),
    ],
  },
  'PATCH /api/v1/groups/{id}/members/{userId}': {
    who: 'user',
    foreign: [
      mine(
        (f) => `/api/v1/groups/${f.groupId}/members/${f.member.id}`,
        () => ({ role: 'admin' }),
      ),
      lower(
        (f) => `/api/v1/groups/${f.groupId}/members/${f.member.id}`,
        () => ({ role: 'admin' }),
      ),
    ],
  },
  'POST /api/v1/groups/{id}/subscribe': {
    who: 'user',
    foreign: [mine((f) => `/api/v1/groups/${f.groupId}/subscribe`)],
  },
  'DELETE /api/v1/groups/{id}/subscribe': { who: 'user' },
  'POST /api/v1/groups/{id}/invite': {
    who: 'user',
    foreign: [
      mine(
        (f) => `/api/v1/groups/${f.groupId}/invite`,
        (f) => ({ userId: f.outsider.id }),
      ),
      lower(
        (f) => `/api/v1/groups/${f.groupId}/invite`,
        (f) => ({ userId: f.outsider.id }),
      ),
    ],
  },
  'POST /api/v1/tenants/{id}/apps': {
    who: 'user',
    foreign: [
      mine(
        (f) => `/api/v1/tenants/${f.tenantId}/apps`,
        () => ({ name: 'x' }),
      ),
      lower(
        (f) => `/api/v1/tenants/${f.tenantId}/apps`,
        () => ({ name: 'x' }),
      ),
    ],
  },
  'GET /api/v1/tenants/{id}/apps': {
    who: 'user',
    foreign: [
      mine((f) => `/api/v1/tenants/${f.tenantId}/apps`),
      lower((f) => `/api/v1/tenants/${f.tenantId}/apps`),
    ],
  },
  'POST /api/v1/apps/{id}/rotate-key': {
    who: 'user',
    foreign: [
      mine((f) => `/api/v1/apps/${f.appId}/rotate-key`),
      lower((f) => `/api/v1/apps/${f.appId}/rotate-key`),
    ],
  },
  'POST /api/v1/apps/push': { who: 'app' },
  'POST /api/v1/apps/{id}/mute': { who: 'user', foreign: [mine((f) => `/api/v1/apps/${f.appId}/mute`)] },
  'DELETE /api/v1/apps/{id}/mute': { who: 'user', foreign: [mine((f) => `/api/v1/apps/${f.appId}/mute`)] },
  'POST /api/v1/push-subscriptions': { who: 'user' },
  'GET /api/v1/push-subscriptions': { who: 'user' },
  'DELETE /api/v1/push-subscriptions/{id}': {
    who: 'user',
    foreign: [mine((f) => `/api/v1/push-subscriptions/${f.subscriptionId}`)],
  },
  'GET /api/v1/push/vapid-public-key': { who: 'public' },
  'GET /api/v1/users/me/notification-settings': { who: 'user' },
  'PUT /api/v1/users/me/notification-settings': { who: 'user' },
  'POST /api/v1/releases': { who: 'admin' },
  'GET /api/v1/releases': { who: 'admin' },
  'DELETE /api/v1/releases/{id}': { who: 'admin' },
  'GET /api/v1/releases/{id}/download': { who: 'public' },
  'PUT /api/v1/releases/policy/{platform}': { who: 'admin' },
  'GET /api/v1/updates/{version}': { who: 'public' },
  'POST /api/v1/devices': { who: 'public' },
  'GET /api/v1/devices': { who: 'admin' },
  'GET /api/v1/stats/installs': { who: 'admin' },
  'POST /api/v1/client-keys': { who: 'admin' },
  'GET /api/v1/client-keys': { who: 'admin' },
  'DELETE /api/v1/client-keys/{keyId}': { who: 'admin' },
  'PUT /api/v1/service/users/{externalId}': { who: 'service' },
  'DELETE /api/v1/service/users/{externalId}': { who: 'service' },
  'PUT /api/v1/service/friendships': { who: 'service' },
  'PUT /api/v1/service/groups/{externalId}': { who: 'service' },
  'GET /api/v1/admin/stats': { who: 'admin' },
  'GET /healthz': { who: 'public' },
  'GET /readyz': { who: 'public' },
  'GET /metrics': { who: 'public' },
};

/** What an outsider (signed in, in no conversation or tenant of the owner) gets from each client event: an error code, or 'ok'. */
const EVENTS: Record<string, (f: F) => { payload: object; expect: string }> = {
  'message:send': (f) => ({
    payload: { conversationId: f.conversationId, body: 'in', clientMsgId: randomUUID() },
    expect: 'NOT_FOUND',
  }),
  'message:edit': (f) => ({ payload: { messageId: f.messageId, body: 'edited' }, expect: 'NOT_FOUND' }),
  'message:delete': (f) => ({ payload: { messageId: f.messageId }, expect: 'NOT_FOUND' }),
  'conversation:read': (f) => ({
    payload: { conversationId: f.conversationId, seq: 1 },
    expect: 'NOT_FOUND',
  }),
  'conversation:delivered': (f) => ({
    payload: { conversationId: f.conversationId, seq: 1 },
    expect: 'NOT_FOUND',
  }),
  typing: (f) => ({ payload: { conversationId: f.conversationId, typing: true }, expect: 'NOT_FOUND' }),
  sync: (f) => ({ payload: { cursors: { [f.conversationId]: 0 } }, expect: 'ok' }),
  'auth:refresh': (f) => ({ payload: { token: f.a.accessToken }, expect: 'UNAUTHORIZED' }),
  'session:state': () => ({ payload: { state: 'inactive' }, expect: 'ok' }),
  'topic:subscribe': (f) => ({ payload: { groupId: f.groupId }, expect: 'NOT_FOUND' }),
  'topic:unsubscribe': (f) => ({ payload: { groupId: f.groupId }, expect: 'NOT_FOUND' }),
  'topic:invite': (f) => ({ payload: { groupId: f.groupId, userId: f.outsider.id }, expect: 'NOT_FOUND' }),
};

const SAMPLE_PARAMS: Record<string, string> = {
  code: 'AAAAAAAAAAAAAAAA',
  platform: 'ios',
  version: '1.0.0',
  externalId: 'ext-1',
  keyId: 'ck_missing',
};

describe('authorisation matrix: every route and socket event refuses whom it must', () => {
  let t: TestApp;
  let f: F;
  let doc: { paths: Record<string, Record<string, { security?: Record<string, unknown>[] }>> };
  const sockets = socketPool();
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    const admin = adminAccount();
    t = await startApp({ ...admin.env, SERVICE_API_KEYS: 'service-key-0123456789' });
    tokens.admin = (await login(t, admin)).accessToken;
    const [a, outsider, member, friend] = [
      await registerUser(t),
      await registerUser(t),
      await registerUser(t),
      await registerUser(t),
    ];
    await befriend(t, a, friend);
    const m = (
      await t.http
        .post('/api/v1/messages')
        .set(...bearer(a))
        .send({ to: { type: 'user', id: friend.id }, body: 'x' })
        .expect(201)
    ).body as { id: string; conversationId: string };
    const group = await createGroup(t, a, [member], 'g');
    const tenant = (
      await t.http
        .post('/api/v1/tenants')
        .set(...bearer(a))
        .send({ name: 'A Inc' })
        .expect(201)
    ).body as { id: string };
    await t.http
      .post(`/api/v1/tenants/${tenant.id}/members`)
      .set(...bearer(a))
      .send({ userId: member.id, role: 'member' })
      .expect(201);
    // The outsider runs a tenant of their own: an admin, but of another tenant.
    await t.http
      .post('/api/v1/tenants')
      .set(...bearer(outsider))
      .send({ name: 'B Inc' })
      .expect(201);
    const unit = (
      await t.http
        .post(`/api/v1/tenants/${tenant.id}/org-units`)
        .set(...bearer(a))
        .send({ name: 'U' })
        .expect(201)
    ).body as { id: string };
    await t.http
      .post(`/api/v1/org-units/${unit.id}/members`)
      .set(...bearer(a))
      .send({ userIds: [member.id] })
      .expect(200);
    const app = (
      await t.http
        .post(`/api/v1/tenants/${tenant.id}/apps`)
        .set(...bearer(a))
        .send({ name: 'App' })
        .expect(201)
    ).body as { id: string };
    const attachment = (
      await t.http
        .post('/api/v1/attachments')
        .set(...bearer(a))
        .attach('file', Buffer.from('secret'), 's.txt')
        .expect(201)
    ).body as { id: string };
    await t.http
      .post('/api/v1/messages')
      .set(...bearer(a))
      .send({ to: { type: 'user', id: friend.id }, body: '', attachments: [{ id: attachment.id }] })
      .expect(201);
    const subscription = (
      await t.http
        .post('/api/v1/push-subscriptions')
        .set(...bearer(a))
        .send({ kind: 'apns', token: 'a'.repeat(64) })
        .expect(201)
    ).body as { id: string };
    const stranger = await registerUser(t);
    const request = (
      await t.http
        .post('/api/v1/friends/requests')
        .set(...bearer(stranger))
        .send({ userId: a.id })
        .expect(201)
    ).body as { id: string };
    f = {
      a,
      outsider,
      member,
      friend,
      messageId: m.id,
      conversationId: m.conversationId,
      groupId: group.id,
      tenantId: tenant.id,
      unitId: unit.id,
      appId: app.id,
      attachmentId: attachment.id,
      subscriptionId: subscription.id,
      requestId: request.id,
    };
    const revoked = await login(t, a);
    await t.http
      .delete(`/api/v1/sessions/${revoked.sessionId}`)
      .set(...bearer(a))
      .expect(204);
    tokens.revoked = revoked.accessToken;
    tokens.expired = await forgeAccessToken(t, {
      sub: a.id,
      sid: a.sessionId,
      exp: Math.floor(Date.now() / 1000) - 120,
    });
    tokens.stale = await forgeAccessToken(
      t,
      { sub: a.id, sid: a.sessionId },
      { secret: 'a-secret-this-server-never-had-0123456789' },
    );
    tokens.garbage = 'not.a.token';
    doc = (await t.http.get('/docs-json').expect(200)).body;
  });
  afterAll(async () => {
    await t?.close();
    await releaseTestDatabase();
  });

  const routes = () =>
    Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({
        key: `${method.toUpperCase()} ${path}`,
        method,
        path,
        op,
      })),
    );
  const send = (method: string, path: string, headers: Record<string, string>, body?: object) => {
    const req = t.http[method as 'get'](path).set(headers);
    return body ? req.send(body) : req;
  };
  const concrete = (path: string) =>
    path.replace(/\{([^}]+)\}/g, (_, name: string) => SAMPLE_PARAMS[name] ?? randomUUID());

  it('every route has a row, and the document says the same about who may call it', () => {
    const keys = routes().map((r) => r.key);
    expect(keys.filter((k) => !ROUTES[k])).toEqual([]);
    expect(Object.keys(ROUTES).filter((k) => !keys.includes(k))).toEqual([]);
    const SECURITY: Record<Who, string[]> = {
      public: [],
      user: ['bearer'],
      admin: ['bearer'],
      app: ['app-key'],
      service: ['service-key'],
    };
    const wrong = routes().filter(
      (r) =>
        JSON.stringify((r.op.security ?? []).map((s) => Object.keys(s)[0])) !==
        JSON.stringify(SECURITY[ROUTES[r.key]!.who]),
    );
    expect(wrong.map((r) => r.key)).toEqual([]);
  });

  it('no token, a garbage, expired, stale-signed or revoked one, a lower role, a wrong key: the documented refusal', async () => {
    const failures: string[] = [];
    for (const { key, method, path } of routes()) {
      const row = ROUTES[key]!;
      const url = concrete(path);
      const expectStatus = async (
        what: string,
        headers: Record<string, string>,
        ok: (s: number) => boolean,
      ) => {
        const res = await send(
          method,
          url,
          headers,
          method === 'get' || method === 'delete' ? undefined : {},
        );
        if (
          !ok(res.status) ||
          (res.status >= 400 && !res.body?.code && res.status !== 404 && res.status !== 416)
        )
          failures.push(`${key} ${what} → ${res.status} ${JSON.stringify(res.body)}`);
      };
      if (row.who === 'public') {
        await expectStatus('no token', {}, (s) => s !== 401 && s !== 403 && s < 500);
        continue;
      }
      if (row.who === 'app') {
        await expectStatus('no key', {}, (s) => s === 401);
        await expectStatus('wrong key', { 'X-App-Key': 'app_wrong' }, (s) => s === 401);
        continue;
      }
      if (row.who === 'service') {
        await expectStatus('no key', {}, (s) => s === 401);
        await expectStatus('wrong key', { 'X-Service-Key': 'not-the-key' }, (s) => s === 401);
        continue;
      }
      await expectStatus('no token', {}, (s) => s === 401);
      for (const kind of ['garbage', 'expired', 'stale', 'revoked']) {
        await expectStatus(`${kind} token`, { Authorization: `Bearer ${tokens[kind]}` }, (s) => s === 401);
      }
      if (row.who === 'admin') {
        await expectStatus(
          'user token',
          { Authorization: `Bearer ${f.outsider.accessToken}` },
          (s) => s === 403,
        );
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);

  it("another user's, another tenant's and a lower role's requests on the owner's resources are refused, and nothing changes", async () => {
    const failures: string[] = [];
    const before = (
      await t.http
        .get(`/api/v1/conversations/${f.conversationId}/messages`)
        .set(...bearer(f.a))
        .expect(200)
    ).body;
    for (const [key, row] of Object.entries(ROUTES)) {
      for (const foreign of row.foreign ?? []) {
        const method = key.split(' ')[0]!.toLowerCase();
        const who = foreign.as === 'outsider' ? f.outsider : f.member;
        const res = await send(
          method,
          foreign.path(f),
          { Authorization: `Bearer ${who.accessToken}` },
          foreign.body?.(f),
        );
        if (!foreign.expect.includes(res.status))
          failures.push(`${key} as ${foreign.as} → ${res.status} ${JSON.stringify(res.body)}`);
      }
    }
    expect(failures).toEqual([]);
    // The owner's things are as they were.
    await t.http
      .get(`/api/v1/attachments/${f.attachmentId}`)
      .set(...bearer(f.a))
      .expect(200);
    await t.http
      .get(`/api/v1/groups/${f.groupId}`)
      .set(...bearer(f.a))
      .expect(200);
    expect(
      (
        await t.http
          .get(`/api/v1/conversations/${f.conversationId}/messages`)
          .set(...bearer(f.a))
          .expect(200)
      ).body,
    ).toEqual(before);
    expect(
      (
        await t.http
          .get('/api/v1/push-subscriptions')
          .set(...bearer(f.a))
          .expect(200)
      ).body.items,
    ).toHaveLength(1);
    await t.http
      .get('/api/v1/users/me')
      .set(...bearer(f.a))
      .expect(200);
  }, 120_000);

  it('every socket event has a row; an outsider gets the documented refusal; handshakes and live sockets refuse dead tokens', async () => {
    const events = t.app.get(SocketRouter).events();
    expect(events.filter((e) => !EVENTS[e])).toEqual([]);
    expect(Object.keys(EVENTS).filter((e) => !events.includes(e))).toEqual([]);
    const s = await sockets.open(t, f.outsider.accessToken);
    const failures: string[] = [];
    for (const [event, make] of Object.entries(EVENTS)) {
      const { payload, expect: expected } = make(f);
      const ack = await call(s, event, payload);
      const got = ack.ok ? 'ok' : ack.error.code;
      if (got !== expected) failures.push(`${event} → ${JSON.stringify(ack)}`);
      if (event === 'sync' && ack.ok && JSON.stringify(ack.data).includes(f.conversationId))
        failures.push('sync leaked');
    }
    expect(failures).toEqual([]);
    for (const kind of ['garbage', 'expired', 'stale', 'revoked']) {
      await expect(connect(t, tokens[kind]!)).rejects.toThrow('UNAUTHORIZED');
    }
    await expect(connect(t, null)).rejects.toThrow('UNAUTHORIZED');
    // A session revoked while its socket is live: told, then disconnected.
    const session = await login(t, f.outsider);
    const live = await sockets.open(t, session.accessToken);
    const told = waitFor(live, 'session:revoked');
    await t.http
      .delete(`/api/v1/sessions/${session.sessionId}`)
      .set(...bearer(f.outsider))
      .expect(204);
    await told;
    await until(() => !live.connected, 5000, 'disconnect');
  });
});
