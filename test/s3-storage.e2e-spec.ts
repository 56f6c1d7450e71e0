import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AttachmentsService } from '../src/messaging/attachments.service.js';
import { releaseTestDatabase, startApp, type TestApp } from './support/app.js';
import { adminAccount, befriend, bearer, binaryBody, login, registerUser } from './support/factories.js';
import { LocalS3 } from './support/s3-server.js';

/**
 * STORAGE_DRIVER=s3 against a local S3-compatible server: attachments and release files go to the
 * bucket (nothing kept on the node's disk), come back whole or by range with their ETag, 304 and
 * 416 as with local files, and are deleted from the bucket with their rows.
 */
describe('S3 storage', () => {
  let s3: LocalS3;
  let t: TestApp;
  const admin = adminAccount();

  beforeAll(async () => {
    s3 = await LocalS3.start();
    t = await startApp({ ...s3.env, ...admin.env, ATTACHMENT_ORPHAN_TTL_HOURS: '0' });
  });
  afterAll(async () => {
    await t?.close();
    await s3?.close().catch(() => undefined);
    await releaseTestDatabase();
  });

  it('an attachment is stored in the bucket and downloads whole, by range, conditionally, with its name', async () => {
    const [a, b] = [await registerUser(t), await registerUser(t)];
    await befriend(t, a, b);
    const bytes = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(300_000)]);
    const up = await t.http
      .post('/api/v1/attachments')
      .set(...bearer(a))
      .attach('file', bytes, 'résumé «final».pdf')
      .expect(201);
    const id = up.body.id as string;
    expect(up.body.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(await s3.keys('attachments/')).toContain(`attachments/${id}`);
    expect(existsSync(join(t.config.dataDir, 'attachments', id))).toBe(false);
    await t.http
      .post('/api/v1/messages')
      .set(...bearer(a))
      .send({ to: { type: 'user', id: b.id }, body: 'file', attachments: [{ id }] })
      .expect(201);

    const whole = await t.http
      .get(`/api/v1/attachments/${id}`)
      .set(...bearer(b))
      .buffer(true)
      .parse(binaryBody)
      .expect(200);
    expect(Buffer.compare(whole.body as Buffer, bytes)).toBe(0);
    expect(whole.headers.etag).toBe(`"${up.body.sha256}"`);
    expect(whole.headers['content-type']).toBe('application/pdf');
    expect(whole.headers['content-disposition']).toContain("filename*=UTF-8''r%C3%A9sum%C3%A9");

    const part = await t.http
      .get(`/api/v1/attachments/${id}`)
      .set(...bearer(b))
      .set('Range', 'bytes=100-199')
      .buffer(true)
      .parse(binaryBody)
      .expect(206);
    expect(part.headers['content-range']).toBe(`bytes 100-199/${bytes.length}`);
    expect(Buffer.compare(part.body as Buffer, bytes.subarray(100, 200))).toBe(0);
    const tail = await t.http
      .get(`/api/v1/attachments/${id}`)
      .set(...bearer(b))
      .set('Range', 'bytes=-10')
      .buffer(true)
      .parse(binaryBody)
      .expect(206);
    expect(Buffer.compare(tail.body as Buffer, bytes.subarray(bytes.length - 10))).toBe(0);

    await t.http
      .get(`/api/v1/attachments/${id}`)
      .set(...bearer(b))
      .set('If-None-Match', whole.headers.etag as string)
      .expect(304);
    const past = await t.http
      .get(`/api/v1/attachments/${id}`)
      .set(...bearer(b))
      .set('Range', `bytes=${bytes.length + 10}-`)
      .expect(416);
    expect(past.headers['content-range']).toBe(`bytes */${bytes.length}`);
  });

  it('orphaned uploads are deleted from the bucket', async () => {
    const a = await registerUser(t);
    const up = await t.http
      .post('/api/v1/attachments')
      .set(...bearer(a))
      .attach('file', Buffer.from('never sent'), 'note.txt')
      .expect(201);
    expect(await s3.keys('attachments/')).toContain(`attachments/${up.body.id}`);
    expect(await t.app.get(AttachmentsService).collectOrphans()).toBeGreaterThanOrEqual(1);
    expect(await s3.keys('attachments/')).not.toContain(`attachments/${up.body.id}`);
  });

  it('a release file larger than one upload part streams in and out intact, and is deleted with its release', async () => {
    const token = await login(t, admin);
    const bytes = randomBytes(20 * 1024 * 1024 + 12345);
    const res = await t.http
      .post('/api/v1/releases')
      .set(...bearer(token))
      .field('platform', 'android')
      .field('version', '3.1.0')
      .attach('file', bytes, 'relay.apk')
      .expect(201);
    expect(res.body.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(await s3.keys('releases/')).toContain(`releases/${res.body.id}`);
    expect(existsSync(join(t.config.dataDir, 'releases', res.body.id))).toBe(false);

    const down = await t.http
      .get(res.body.downloadUrl as string)
      .buffer(true)
      .parse(binaryBody)
      .expect(200);
    expect(
      createHash('sha256')
        .update(down.body as Buffer)
        .digest('hex'),
    ).toBe(res.body.sha256);
    const resumed = await t.http
      .get(res.body.downloadUrl as string)
      .set('Range', `bytes=${bytes.length - 1000}-`)
      .buffer(true)
      .parse(binaryBody)
      .expect(206);
    expect(Buffer.compare(resumed.body as Buffer, bytes.subarray(bytes.length - 1000))).toBe(0);

    await t.http
      .delete(`/api/v1/releases/${res.body.id}`)
      .set(...bearer(token))
      .expect(204);
    expect(await s3.keys('releases/')).not.toContain(`releases/${res.body.id}`);
    await t.http.get(res.body.downloadUrl as string).expect(404);
  }, 60_000);

  it('with the store away, uploads and downloads answer SERVICE_UNAVAILABLE; messaging goes on', async () => {
    const [a, b] = [await registerUser(t), await registerUser(t)];
    await befriend(t, a, b);
    const kept = await t.http
      .post('/api/v1/attachments')
      .set(...bearer(a))
      .attach('file', Buffer.from('kept'), 'kept.txt')
      .expect(201);
    await t.http
      .post('/api/v1/messages')
      .set(...bearer(a))
      .send({ to: { type: 'user', id: b.id }, body: 'file', attachments: [{ id: kept.body.id }] })
      .expect(201);
    await s3.close();
    const up = await t.http
      .post('/api/v1/attachments')
      .set(...bearer(a))
      .attach('file', Buffer.from('later'), 'later.txt');
    expect(up.status).toBe(503);
    expect(up.body).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    const down = await t.http.get(`/api/v1/attachments/${kept.body.id}`).set(...bearer(b));
    expect(down.status).toBe(503);
    await t.http
      .post('/api/v1/messages')
      .set(...bearer(a))
      .send({ to: { type: 'user', id: b.id }, body: 'still here' })
      .expect(201);
  });

  it('refuses to start with STORAGE_DRIVER=s3 and no bucket', async () => {
    await expect(startApp({ STORAGE_DRIVER: 's3', S3_BUCKET: '' })).rejects.toThrow('S3_BUCKET');
  });
});
