import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AttachmentsService } from '../src/messaging/attachments.service.js';
import { releaseTestDatabase, startApp, type TestApp } from './support/app.js';
import { befriend, bearer, registerUser, type TestUser } from './support/factories.js';

const upload = (t: TestApp, u: TestUser, bytes: Buffer, name = 'note.txt') =>
  t.http
    .post('/api/v1/attachments')
    .set(...bearer(u))
    .attach('file', bytes, name);

describe('storage and HTTP edges: quotas, orphans, conditional and ranged downloads, security headers', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp({
      ATTACHMENT_QUOTA_BYTES: '100',
      ATTACHMENT_ORPHAN_TTL_HOURS: '0',
      RATE_LIMIT_DEVICES_PER_IP_PER_MIN: '3',
    });
  });
  afterAll(async () => {
    await t?.close();
    await releaseTestDatabase();
  });

  it('security headers on every response, and Swagger UI still loads its page and assets', async () => {
    const u = await registerUser(t);
    for (const res of [
      await t.http
        .get('/api/v1/users/me')
        .set(...bearer(u))
        .expect(200),
      await t.http.get('/healthz').expect(200),
      await t.http.get('/nope').expect(404),
    ]) {
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-security-policy']).toContain("default-src 'self'");
      expect(res.headers['strict-transport-security']).toBeDefined();
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    }
    const page = await t.http.get('/docs/').expect(200);
    expect(page.text).toContain('swagger-ui');
    for (const asset of page.text.match(/(?:src|href)="\.\/([^"]+)"/g) ?? []) {
      const file = asset.replace(/^(?:src|href)="\.\//, '').replace(/"$/, '');
      await t.http.get(`/docs/${file}`).expect(200);
    }
  });

  it('downloads: ETag and 304, ranges (206, and 416 when unsatisfiable), non-ASCII names per RFC 6266', async () => {
    const u = await registerUser(t);
    const body = Buffer.from('0123456789abcdef');
    const file = (await upload(t, u, body, 'résumé 📄.txt').expect(201)).body as {
      id: string;
      sha256: string;
    };
    const path = `/api/v1/attachments/${file.id}`;
    const whole = await t.http
      .get(path)
      .set(...bearer(u))
      .buffer(true)
      .expect(200);
    expect(whole.headers.etag).toBe(`"${file.sha256}"`);
    expect(whole.headers['content-disposition']).toContain(
      "filename*=UTF-8''r%C3%A9sum%C3%A9%20%F0%9F%93%84.txt",
    );
    expect(whole.headers['accept-ranges']).toBe('bytes');
    await t.http
      .get(path)
      .set(...bearer(u))
      .set('If-None-Match', `"${file.sha256}"`)
      .expect(304);
    await t.http
      .get(path)
      .set(...bearer(u))
      .set('If-None-Match', '"other"')
      .expect(200);
    const part = await t.http
      .get(path)
      .set(...bearer(u))
      .set('Range', 'bytes=2-5')
      .buffer(true)
      .expect(206);
    expect(part.headers['content-range']).toBe('bytes 2-5/16');
    expect(Buffer.from(part.body as Buffer).toString()).toBe('2345');
    const unsatisfiable = await t.http
      .get(path)
      .set(...bearer(u))
      .set('Range', 'bytes=100-200')
      .expect(416);
    expect(unsatisfiable.headers['content-range']).toBe('bytes */16');
  });

  it('ATTACHMENT_QUOTA_BYTES per user: past it 429 QUOTA_EXCEEDED, concurrent uploads never pass it together', async () => {
    const u = await registerUser(t);
    await upload(t, u, Buffer.alloc(60, 1)).expect(201);
    const refused = await upload(t, u, Buffer.alloc(60, 2)).expect(429);
    expect(refused.body).toMatchObject({
      code: 'QUOTA_EXCEEDED',
      details: { quota: 'attachmentBytes', usedBytes: 60, limitBytes: 100, requestedBytes: 60 },
    });
    // Someone else's quota is their own.
    const v = await registerUser(t);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => upload(t, v, Buffer.alloc(30, i + 1))),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(3);
    expect(results.filter((r) => r.status === 429)).toHaveLength(5);
  });

  it('uploads no message references are collected after ATTACHMENT_ORPHAN_TTL_HOURS, rows and files', async () => {
    const [a, b] = [await registerUser(t), await registerUser(t)];
    await befriend(t, a, b);
    const ids = [];
    for (const n of [1, 2, 3])
      ids.push(((await upload(t, a, Buffer.alloc(10, n)).expect(201)).body as { id: string }).id);
    const [never, kept, unlinked] = ids as [string, string, string];
    await t.http
      .post('/api/v1/messages')
      .set(...bearer(a))
      .send({ to: { type: 'user', id: b.id }, body: '', attachments: [{ id: kept }] })
      .expect(201);
    const doomed = (
      await t.http
        .post('/api/v1/messages')
        .set(...bearer(a))
        .send({ to: { type: 'user', id: b.id }, body: '', attachments: [{ id: unlinked }] })
        .expect(201)
    ).body as { id: string };
    await t.http
      .delete(`/api/v1/messages/${doomed.id}`)
      .set(...bearer(a))
      .expect(204);

    const service = t.app.get(AttachmentsService);
    const onDisk = (id: string) => existsSync(join(t.config.dataDir, 'attachments', id));
    expect([never, kept, unlinked].map(onDisk)).toEqual([true, true, true]);
    expect(await service.collectOrphans()).toBeGreaterThanOrEqual(2);
    expect([never, kept, unlinked].map(onDisk)).toEqual([false, true, false]);
    await t.http
      .get(`/api/v1/attachments/${never}`)
      .set(...bearer(a))
      .expect(404);
    await t.http
      .get(`/api/v1/attachments/${unlinked}`)
      .set(...bearer(a))
      .expect(404);
    await t.http
      .get(`/api/v1/attachments/${kept}`)
      .set(...bearer(b))
      .expect(200);
  });

  it('unauthenticated device registrations are limited per client IP', async () => {
    const register = (n: number) =>
      t.http
        .post('/api/v1/devices')
        .send({ deviceId: `dev-${n}-${Date.now()}`, platform: 'ios', appVersion: '1.0' });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await register(i)).status);
    expect(statuses).toEqual([201, 201, 201, 429, 429]);
  });
});
