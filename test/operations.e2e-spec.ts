import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { releaseTestDatabase, startApp, type TestApp } from './support/app.js';
import { bearer, registerUser } from './support/factories.js';

describe('operations: health, docs, errors, CORS', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(async () => {
    await t?.close();
    await releaseTestDatabase();
  });

  it('answers /healthz and /readyz without a token', async () => {
    expect((await t.http.get('/healthz').expect(200)).body).toEqual({ status: 'ok' });
    const ready = await t.http.get('/readyz').expect(200);
    expect(ready.body).toEqual({
      status: 'ok',
      database: true,
      redis: t.config.redisUrl ? true : null,
      draining: false,
    });
  });

  it('serves Swagger UI and an OpenAPI document listing every route with its auth', async () => {
    const html = await t.http.get('/docs').redirects(1).expect(200);
    expect(html.text).toContain('swagger-ui');
    const doc = (await t.http.get('/docs-json').expect(200)).body as {
      paths: Record<
        string,
        Record<string, { security?: unknown[]; responses: Record<string, unknown>; requestBody?: unknown }>
      >;
    };
    const routes = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(routes.sort()).toEqual(
      [
        'POST /api/v1/auth/register',
        'POST /api/v1/auth/login',
        'POST /api/v1/auth/refresh',
        'POST /api/v1/auth/logout',
        'GET /api/v1/auth/ws-token',
        'GET /api/v1/sessions',
        'PATCH /api/v1/sessions/{id}',
        'DELETE /api/v1/sessions/{id}',
        'GET /api/v1/users/me',
        'PATCH /api/v1/users/me',
        'GET /api/v1/users',
        'GET /api/v1/users/{id}',
        'POST /api/v1/friends/requests',
        'GET /api/v1/friends/requests',
        'POST /api/v1/friends/requests/{id}/accept',
        'POST /api/v1/friends/requests/{id}/decline',
        'GET /api/v1/friends',
        'DELETE /api/v1/friends/{userId}',
        'POST /api/v1/blocks/{userId}',
        'DELETE /api/v1/blocks/{userId}',
        'GET /api/v1/blocks',
        'GET /api/v1/admin/stats',
        'POST /api/v1/messages',
        'GET /api/v1/messages',
        'PATCH /api/v1/messages/{id}',
        'DELETE /api/v1/messages/{id}',
        'POST /api/v1/users/{id}/friends/{friendId}/message',
        'POST /api/v1/sync',
        'GET /api/v1/conversations',
        'GET /api/v1/conversations/{id}/messages',
        'POST /api/v1/conversations/{id}/read',
        'POST /api/v1/attachments',
        'GET /api/v1/attachments/{id}',
        'GET /api/v1/connections',
        'POST /api/v1/groups',
        'GET /api/v1/groups',
        'GET /api/v1/groups/public',
        'GET /api/v1/groups/{id}',
        'PATCH /api/v1/groups/{id}',
        'DELETE /api/v1/groups/{id}',
        'GET /api/v1/groups/{id}/members',
        'POST /api/v1/groups/{id}/members',
        'DELETE /api/v1/groups/{id}/members/{userId}',
        'PATCH /api/v1/groups/{id}/members/{userId}',
        'POST /api/v1/groups/{id}/subscribe',
        'DELETE /api/v1/groups/{id}/subscribe',
        'POST /api/v1/groups/{id}/invite',
        'POST /api/v1/tenants',
        'GET /api/v1/tenants',
        'POST /api/v1/tenants/{id}/members',
        'POST /api/v1/tenants/{id}/org-units',
        'GET /api/v1/tenants/{id}/org-units',
        'GET /api/v1/tenants/{id}/quota',
        'PUT /api/v1/tenants/{id}/quota',
        'POST /api/v1/org-units/{id}/members',
        'GET /api/v1/org-units/{id}/members',
        'DELETE /api/v1/org-units/{id}/members/{userId}',
        'PATCH /api/v1/org-units/{id}',
        'POST /api/v1/tenants/{id}/apps',
        'GET /api/v1/tenants/{id}/apps',
        'POST /api/v1/apps/{id}/rotate-key',
        'POST /api/v1/apps/push',
        'POST /api/v1/apps/{id}/mute',
        'DELETE /api/v1/apps/{id}/mute',
        'POST /api/v1/push-subscriptions',
        'GET /api/v1/push-subscriptions',
        'DELETE /api/v1/push-subscriptions/{id}',
        'GET /api/v1/push/vapid-public-key',
        'PUT /api/v1/conversations/{id}/mute',
        'DELETE /api/v1/conversations/{id}/mute',
        'GET /api/v1/users/me/notification-settings',
        'PUT /api/v1/users/me/notification-settings',
        'POST /api/v1/releases',
        'GET /api/v1/releases',
        'DELETE /api/v1/releases/{id}',
        'GET /api/v1/releases/{id}/download',
        'PUT /api/v1/releases/policy/{platform}',
        'GET /api/v1/updates/{version}',
        'POST /api/v1/devices',
        'GET /api/v1/devices',
        'GET /api/v1/stats/installs',
        'POST /api/v1/client-keys',
        'GET /api/v1/client-keys',
        'DELETE /api/v1/client-keys/{keyId}',
        'PUT /api/v1/service/users/{externalId}',
        'DELETE /api/v1/service/users/{externalId}',
        'PUT /api/v1/service/friendships',
        'PUT /api/v1/service/groups/{externalId}',
        'POST /api/v1/friends/invites',
        'GET /api/v1/friends/invites/{code}/qr',
        'POST /api/v1/friends/invites/{code}/accept',
        'GET /invite/{code}',
        'GET /healthz',
        'GET /metrics',
        'GET /readyz',
      ].sort(),
    );
    expect(doc.paths['/api/v1/users/me']!.get!.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/api/v1/auth/register']!.post!.requestBody).toBeDefined();
    expect(Object.keys(doc.paths['/api/v1/auth/register']!.post!.responses)).toEqual(
      expect.arrayContaining(['201', '400', '409', '429']),
    );
  });

  it('exposes Prometheus metrics without a token', async () => {
    const u = await registerUser(t);
    await t.http
      .get('/api/v1/users/me')
      .set(...bearer(u))
      .expect(200);
    const res = await t.http.get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toMatch(
      /relay_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/users\/me",status="200"\} [1-9]/,
    );
    expect(res.text).toContain('relay_sockets ');
    expect(res.text).toContain('relay_process_cpu_user_seconds_total');
  });

  it('answers unknown routes with the error shape and echoes request ids', async () => {
    const res = await t.http.get('/api/v1/nothing-here').set('X-Request-Id', 'trace-123').expect(404);
    expect(res.body).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
    expect(res.headers['x-request-id']).toBe('trace-123');
    const generated = await t.http.get('/healthz').set('X-Request-Id', 'bad id with spaces').expect(200);
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('allows localhost browser origins by default and refuses others', async () => {
    const ok = await t.http
      .options('/api/v1/users/me')
      .set('Origin', 'http://localhost:5173')
      .set('Access-Control-Request-Method', 'GET');
    expect(ok.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    const denied = await t.http
      .options('/api/v1/users/me')
      .set('Origin', 'https://evil.example')
      .set('Access-Control-Request-Method', 'GET');
    expect(denied.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('honours CORS_ORIGINS when set', async () => {
    const other = await startApp({ CORS_ORIGINS: 'https://app.example.com' });
    try {
      const ok = await other.http.get('/healthz').set('Origin', 'https://app.example.com');
      expect(ok.headers['access-control-allow-origin']).toBe('https://app.example.com');
      const local = await other.http.get('/healthz').set('Origin', 'http://localhost:3000');
      expect(local.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await other.close();
    }
  });

  it('never answers a malformed Authorization header with anything but 401', async () => {
    const u = await registerUser(t);
    for (const header of [
      'Bearer',
      'Basic abc',
      `Bearer ${u.accessToken} extra`,
      `bearer  ${'x'.repeat(5000)}`,
    ]) {
      const res = await t.http.get('/api/v1/users/me').set('Authorization', header).expect(401);
      expect(res.body.code).toBe('UNAUTHORIZED');
    }
    await t.http
      .get('/api/v1/users/me')
      .set(...bearer(u))
      .expect(200);
  });
});
