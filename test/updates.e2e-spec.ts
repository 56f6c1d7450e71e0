import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { signHandshake, signRequest } from '../src/updates/client-signature.js';
import { releaseTestDatabase, startApp, type TestApp } from './support/app.js';
import { bearer, registerUser } from './support/factories.js';
import { connect, socketPool, waitFor } from './support/sockets.js';

const adminName = `root_${randomUUID().slice(0, 8)}`;
const ADMIN = { ADMIN_USERNAME: adminName, ADMIN_PASSWORD: 'admin-pass-1' };
const work = mkdtempSync(join(tmpdir(), 'relay-release-'));

async function writeRandomFile(path: string, bytes: number): Promise<string> {
  const hash = createHash('sha256');
  const out = createWriteStream(path);
  for (let written = 0; written < bytes; written += 1 << 20) {
    const chunk = randomBytes(Math.min(1 << 20, bytes - written));
    hash.update(chunk);
    if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r) => out.end(() => r()));
  return hash.digest('hex');
}

/** GET a URL and hash the body as it streams (no buffering of 50 MiB in the test either). */
function fetchHashed(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; sha256: string; size: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (res) => {
      const hash = createHash('sha256');
      let size = 0;
      const small: Buffer[] = [];
      res.on('data', (c: Buffer) => {
        hash.update(c);
        size += c.length;
        if (size <= 4096) small.push(c);
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          sha256: hash.digest('hex'),
          size,
          headers: res.headers,
          body: Buffer.concat(small),
        }),
      );
      res.on('error', reject);
    }).on('error', reject);
  });
}

describe('client releases, devices and signed clients', () => {
  let t: TestApp;
  let admin: { accessToken: string };
  const sockets = socketPool();

  const upload = (
    app: TestApp,
    token: { accessToken: string },
    fields: Record<string, string>,
    file: string | Buffer,
    filename = 'app.apk',
  ) => {
    const req = app.http.post('/api/v1/releases').set(...bearer(token));
    for (const [k, v] of Object.entries(fields)) void req.field(k, v);
    return typeof file === 'string' ? req.attach('file', file, filename) : req.attach('file', file, filename);
  };

  beforeAll(async () => {
    t = await startApp(ADMIN);
    admin = (
      await t.http
        .post('/api/v1/auth/login')
        .send({ username: adminName, password: 'admin-pass-1' })
        .expect(200)
    ).body;
  });
  afterAll(async () => {
    await t?.close();
    await releaseTestDatabase();
    rmSync(work, { recursive: true, force: true });
  });

  it('a 50 MiB release: hashed while streamed (memory does not grow by its size), downloadable whole or by range, counted', async () => {
    const path = join(work, 'big.apk');
    const size = 50 * 1024 * 1024;
    const sha256 = await writeRandomFile(path, size);
    const platform = `p${randomUUID().slice(0, 8)}`;

    // Retained memory (after a collection), sampled through the upload: a server that buffered the
    // file would hold all 50 MiB at some point; a streaming one holds a few chunks.
    const gc = (globalThis as { gc?: () => void }).gc;
    if (!gc) throw new Error('run the tests with node --expose-gc (npm test does)');
    const sample = () => {
      gc();
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    const baseline = sample();
    let peak = baseline;
    // Each sample is a full collection in this very process (slow when the worker's heap is big),
    // so the next one waits four times as long as the last took: the upload it measures keeps at
    // least 80% of the time. A buffering server holds the chunks for the whole upload, so it is seen.
    let timer: NodeJS.Timeout | undefined;
    const tick = () => {
      const started = performance.now();
      peak = Math.max(peak, sample());
      timer = setTimeout(tick, Math.max(50, 4 * (performance.now() - started)));
    };
    timer = setTimeout(tick, 50);
    const res = await upload(
      t,
      admin,
      { version: '2.0.0', platform, notes: 'big one', mandatory: 'false' },
      path,
    ).expect(201);
    clearTimeout(timer);
    expect(res.body).toMatchObject({
      version: '2.0.0',
      platform,
      notes: 'big one',
      size,
      sha256,
      mandatory: false,
      downloads: 0,
    });
    expect(res.body.downloadUrl).toBe(`/api/v1/releases/${res.body.id}/download`);
    expect(peak - baseline).toBeLessThan(size / 2);

    const whole = await fetchHashed(`${t.url}${res.body.downloadUrl}`);
    expect(whole).toMatchObject({ status: 200, size, sha256 });
    expect(whole.headers.etag).toBe(`"${sha256}"`);
    const part = await fetchHashed(`${t.url}${res.body.downloadUrl}`, { Range: 'bytes=1000-1999' });
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 1000-1999/${size}`);
    expect(Buffer.compare(part.body, readFileSync(path).subarray(1000, 2000))).toBe(0);
    const cached = await fetchHashed(`${t.url}${res.body.downloadUrl}`, { 'If-None-Match': `"${sha256}"` });
    expect(cached.status).toBe(304);

    const list = await t.http
      .get('/api/v1/releases')
      .query({ platform })
      .set(...bearer(admin))
      .expect(200);
    // The whole download counted; the middle range did not; the conditional GET was a fresh request from 0.
    expect(list.body.items[0].downloads).toBe(2);
    expect(readdirSync(join(t.config.dataDir, 'releases'))).toContain(res.body.id);
  }, 120_000);

  it('update check: numeric comparison, mandatory releases in between, minimum supported version; garbage is 400', async () => {
    const platform = `p${randomUUID().slice(0, 8)}`;
    const publish = (version: string, mandatory: boolean) =>
      upload(
        t,
        admin,
        { version, platform, mandatory: String(mandatory) },
        Buffer.from(`build ${version}`),
      ).expect(201);
    await publish('1.9.3', false);
    await publish('1.10.0', true);
    await publish('2.0.0', false);
    const check = async (v: string) =>
      (await t.http.get(`/api/v1/updates/${v}`).query({ platform }).expect(200)).body;

    expect(await check('1.9.3')).toMatchObject({
      updateAvailable: true,
      mandatory: true,
      latest: expect.objectContaining({ version: '2.0.0' }),
    });
    expect(await check('1.10.0')).toMatchObject({ updateAvailable: true, mandatory: false });
    expect(await check('1.10')).toMatchObject({ updateAvailable: true, mandatory: false });
    expect(await check('2.0.0')).toMatchObject({ updateAvailable: false, mandatory: false });
    expect(await check('2.0.0.1')).toMatchObject({ updateAvailable: false, mandatory: false });
    expect(await check('1.9.10')).toMatchObject({ updateAvailable: true, mandatory: true });

    await t.http
      .put(`/api/v1/releases/policy/${platform}`)
      .set(...bearer(admin))
      .send({ minSupportedVersion: '1.10.5' })
      .expect(200);
    expect(await check('1.10.0')).toMatchObject({ updateAvailable: true, mandatory: true });
    expect(await check('1.11')).toMatchObject({ mandatory: false });

    for (const bad of ['abc', '1..2', '1.2.3.4.5', '01.2', '-1', '1.2a', '9999999999']) {
      const res = await t.http
        .get(`/api/v1/updates/${encodeURIComponent(bad)}`)
        .query({ platform })
        .expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    }
    await t.http.get('/api/v1/updates/1.0.0').query({ platform: 'Bad Platform' }).expect(400);
    await t.http.get('/api/v1/updates/1.0.0').expect(400);
    expect(
      await (async () =>
        (await t.http.get('/api/v1/updates/1.0.0').query({ platform: 'nothing-here' }).expect(200)).body)(),
    ).toEqual({
      updateAvailable: false,
      mandatory: false,
      latest: null,
    });
  });

  it('publishing tells connected clients of that platform only', async () => {
    const user = await registerUser(t);
    const platform = `p${randomUUID().slice(0, 8)}`;
    const mine = await connect(t, null, { auth: { token: user.accessToken, platform } });
    const other = await connect(t, null, { auth: { token: user.accessToken, platform: 'someone-else' } });
    sockets.track(mine);
    sockets.track(other);
    let otherGot = 0;
    other.on('update:available', () => otherGot++);
    const notice = waitFor<{ version: string; platform: string }>(mine, 'update:available');
    await upload(
      t,
      admin,
      { version: '3.1.0', platform, mandatory: 'true' },
      Buffer.from('new build'),
    ).expect(201);
    expect(await notice).toMatchObject({ version: '3.1.0', platform, mandatory: true });
    expect(otherGot).toBe(0);
  });

  it('never lets names escape DATA_DIR; refuses bad fields, duplicates and non-admins', async () => {
    const platform = `p${randomUUID().slice(0, 8)}`;
    const res = await upload(
      t,
      admin,
      { version: '1.0.0', platform },
      Buffer.from('payload'),
      '../../../../tmp/evil.sh',
    ).expect(201);
    const download = await fetchHashed(`${t.url}${res.body.downloadUrl}`);
    expect(download.headers['content-disposition']).toMatch(/^attachment; filename="?evil\.sh"?$/);
    expect(
      readdirSync(join(t.config.dataDir, 'releases'))
        .filter((f) => f !== 'incoming')
        .every((f) => /^[0-9a-f-]{36}$/.test(f)),
    ).toBe(true);
    expect(readdirSync(join(t.config.dataDir, 'releases', 'incoming'))).toEqual([]);

    const badFields: Record<string, string>[] = [
      { version: '../1.0', platform },
      { version: '1.0.0', platform: '../../etc' },
      { version: '1.0.0', platform: 'UPPER' },
      { version: '1.0.0' },
      { platform },
      { version: '1.0.1', platform, mandatory: 'maybe' },
      { version: '1.0.1', platform, extra: 'field' },
    ];
    for (const fields of badFields) {
      const bad = await upload(t, admin, fields, Buffer.from('x')).expect(400);
      expect(bad.body.code).toBe('VALIDATION_FAILED');
    }
    await t.http
      .post('/api/v1/releases')
      .set(...bearer(admin))
      .field('version', '1.0.2')
      .field('platform', platform)
      .expect(400);
    await upload(t, admin, { version: '1.0.0', platform }, Buffer.from('again')).expect(409);
    expect(readdirSync(join(t.config.dataDir, 'releases', 'incoming'))).toEqual([]);
    await t.http
      .put('/api/v1/releases/policy/..%2F..')
      .set(...bearer(admin))
      .send({ minSupportedVersion: '1.0' })
      .expect(400);

    const user = await registerUser(t);
    await upload(t, user, { version: '9.9.9', platform }, Buffer.from('x')).expect(403);
    await t.http
      .get('/api/v1/releases')
      .set(...bearer(user))
      .expect(403);
    await t.http
      .delete(`/api/v1/releases/${res.body.id}`)
      .set(...bearer(user))
      .expect(403);
    await t.http
      .delete(`/api/v1/releases/${res.body.id}`)
      .set(...bearer(admin))
      .expect(204);
    await t.http.get(res.body.downloadUrl).expect(404);
    await t.http
      .delete(`/api/v1/releases/${res.body.id}`)
      .set(...bearer(admin))
      .expect(404);
  });

  it('an oversize upload is 413 and leaves no partial file', async () => {
    const small = await startApp({ ...ADMIN, MAX_RELEASE_BYTES: String(1024 * 1024) });
    try {
      const root = (
        await small.http
          .post('/api/v1/auth/login')
          .send({ username: adminName, password: 'admin-pass-1' })
          .expect(200)
      ).body;
      const platform = `p${randomUUID().slice(0, 8)}`;
      const res = await upload(
        small,
        root,
        { version: '1.0.0', platform },
        randomBytes(3 * 1024 * 1024),
      ).expect(413);
      expect(res.body.code).toBe('PAYLOAD_TOO_LARGE');
      expect(readdirSync(join(small.config.dataDir, 'releases', 'incoming'))).toEqual([]);
      const list = await small.http
        .get('/api/v1/releases')
        .query({ platform })
        .set(...bearer(root))
        .expect(200);
      expect(list.body.items).toEqual([]);
    } finally {
      await small.close();
    }
  });

  it('devices: concurrent registrations of one deviceId make one row; admins see installs per version', async () => {
    const deviceId = `dev-${randomUUID()}`;
    const platform = `p${randomUUID().slice(0, 8)}`;
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        t.http
          .post('/api/v1/devices')
          .send({ deviceId, platform, appVersion: '1.2.0', model: 'Pixel', appLocale: 'en-GB' }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    const rows = await t.app
      .get(DataSource)
      .query('SELECT count(*)::int AS n FROM devices WHERE device_id = $1', [deviceId]);
    expect(rows[0].n).toBe(1);
    const updated = await t.http
      .post('/api/v1/devices')
      .send({ deviceId, platform, appVersion: '1.3.0' })
      .expect(200);
    expect(updated.body).toMatchObject({ deviceId, appVersion: '1.3.0', model: null });
    await t.http
      .post('/api/v1/devices')
      .send({ deviceId: `dev-${randomUUID()}`, platform, appVersion: '1.3.0' })
      .expect(201);
    await t.http.post('/api/v1/devices').send({ deviceId: 'x', platform, appVersion: 'latest' }).expect(400);
    await t.http.post('/api/v1/devices').send({ deviceId: '', platform, appVersion: '1.0' }).expect(400);

    const stats = await t.http
      .get('/api/v1/stats/installs')
      .set(...bearer(admin))
      .expect(200);
    expect(stats.body.items.filter((s: { platform: string }) => s.platform === platform)).toEqual([
      { platform, appVersion: '1.3.0', installs: 2 },
    ]);
    const devices = await t.http
      .get('/api/v1/devices')
      .query({ platform, appVersion: '1.3.0' })
      .set(...bearer(admin))
      .expect(200);
    expect(devices.body.items).toHaveLength(2);
    const user = await registerUser(t);
    await t.http
      .get('/api/v1/devices')
      .set(...bearer(user))
      .expect(403);
    await t.http
      .get('/api/v1/stats/installs')
      .set(...bearer(user))
      .expect(403);
  });

  describe('SIGNATURE_REQUIRED', () => {
    let s: TestApp;
    let root: { accessToken: string };
    let key: { keyId: string; secret: string };

    /** Signs with the admin key and sends; `tamper` changes what was sent after signing. */
    const signed = (
      method: 'GET' | 'POST',
      path: string,
      body?: object,
      headers: Record<string, string> = {},
    ) => {
      const raw = body === undefined ? '' : JSON.stringify(body);
      const sig = signRequest({ keyId: key.keyId, secret: key.secret, method, path, body: raw });
      const req =
        method === 'GET'
          ? s.http.get(path)
          : s.http.post(path).set('Content-Type', 'application/json').send(raw);
      return req.set({ ...sig, ...headers });
    };

    beforeAll(async () => {
      // Bootstrap: create a key on a normal node, then start a node that requires signatures.
      const open = await startApp(ADMIN);
      const opener = (
        await open.http
          .post('/api/v1/auth/login')
          .send({ username: adminName, password: 'admin-pass-1' })
          .expect(200)
      ).body;
      key = (
        await open.http
          .post('/api/v1/client-keys')
          .set(...bearer(opener))
          .send({ name: 'ios app' })
          .expect(201)
      ).body;
      const listed = await open.http
        .get('/api/v1/client-keys')
        .set(...bearer(opener))
        .expect(200);
      expect(JSON.stringify(listed.body)).not.toContain(key.secret);
      await open.close();
      s = await startApp({ ...ADMIN, SIGNATURE_REQUIRED: 'true', JWT_SECRET: t.config.jwt.secret });
      root = (
        await signed('POST', '/api/v1/auth/login', { username: adminName, password: 'admin-pass-1' }).expect(
          200,
        )
      ).body;
    });
    afterAll(async () => {
      await s?.close();
    });

    it('a correctly signed request passes; public routes stay public', async () => {
      const me = await signed('GET', '/api/v1/users/me', undefined, {
        Authorization: `Bearer ${root.accessToken}`,
      }).expect(200);
      expect(me.body.username).toBe(adminName);
      const query = await signed('GET', '/api/v1/users?search=root&limit=5', undefined, {
        Authorization: `Bearer ${root.accessToken}`,
      }).expect(200);
      expect(query.body.items.length).toBeGreaterThan(0);
      await s.http.get('/healthz').expect(200);
      await s.http.get('/readyz').expect(200);
      await s.http.get('/api/v1/updates/1.0.0').query({ platform: 'ios' }).expect(200);
      await s.http.get('/docs-json').expect(200);
    });

    it('refuses a missing header, wrong signature, replayed nonce, stale timestamp, changed body and revoked key', async () => {
      const auth = { Authorization: `Bearer ${root.accessToken}` };
      const refused = async (
        req: PromiseLike<{ status: number; body: { code: string; message: string } }>,
        reason: RegExp,
      ) => {
        const res = await req;
        expect(res.status).toBe(401);
        expect(res.body.code).toBe('UNAUTHORIZED');
        expect(res.body.message).toMatch(reason);
      };
      await refused(s.http.get('/api/v1/users/me').set(auth), /Missing signature/);
      const good = signRequest({
        keyId: key.keyId,
        secret: key.secret,
        method: 'GET',
        path: '/api/v1/users/me',
      });
      await refused(
        s.http
          .get('/api/v1/users/me')
          .set(auth)
          .set({ ...good, 'X-Signature': good['X-Signature'].replace(/^./, (c) => (c === 'a' ? 'b' : 'a')) }),
        /does not match/,
      );
      await s.http.get('/api/v1/users/me').set(auth).set(good).expect(200);
      await refused(s.http.get('/api/v1/users/me').set(auth).set(good), /Nonce already used/);
      const stale = signRequest({
        keyId: key.keyId,
        secret: key.secret,
        method: 'GET',
        path: '/api/v1/users/me',
        timestamp: Date.now() - 6 * 60 * 1000,
      });
      await refused(s.http.get('/api/v1/users/me').set(auth).set(stale), /window/);
      const future = signRequest({
        keyId: key.keyId,
        secret: key.secret,
        method: 'GET',
        path: '/api/v1/users/me',
        timestamp: Date.now() + 6 * 60 * 1000,
      });
      await refused(s.http.get('/api/v1/users/me').set(auth).set(future), /window/);
      // Another path than the one signed.
      await refused(
        s.http
          .get('/api/v1/sessions')
          .set(auth)
          .set(
            signRequest({ keyId: key.keyId, secret: key.secret, method: 'GET', path: '/api/v1/users/me' }),
          ),
        /does not match/,
      );
      // The body changed after signing.
      const sig = signRequest({
        keyId: key.keyId,
        secret: key.secret,
        method: 'POST',
        path: '/api/v1/auth/login',
        body: JSON.stringify({ username: adminName, password: 'admin-pass-1' }),
      });
      await refused(
        s.http
          .post('/api/v1/auth/login')
          .set(sig)
          .set('Content-Type', 'application/json')
          .send(JSON.stringify({ username: 'someone', password: 'admin-pass-1' })),
        /does not match/,
      );
      // Revoked (through a signed admin call): refused at once.
      const second = (await signed('POST', '/api/v1/client-keys', { name: 'temp' }, auth).expect(201))
        .body as { keyId: string; secret: string };
      await s.http
        .get('/healthz')
        .set(signRequest({ keyId: second.keyId, secret: second.secret, method: 'GET', path: '/healthz' }))
        .expect(200);
      const revokePath = `/api/v1/client-keys/${second.keyId}`;
      await s.http
        .delete(revokePath)
        .set(auth)
        .set(signRequest({ keyId: key.keyId, secret: key.secret, method: 'DELETE', path: revokePath }))
        .expect(204);
      await refused(
        s.http
          .get('/api/v1/users/me')
          .set(auth)
          .set(
            signRequest({
              keyId: second.keyId,
              secret: second.secret,
              method: 'GET',
              path: '/api/v1/users/me',
            }),
          ),
        /revoked/,
      );
    });

    it('the socket handshake obeys the same rules', async () => {
      await expect(connect(s, root.accessToken)).rejects.toThrow('SIGNATURE_INVALID');
      const handshake = signHandshake(key.keyId, key.secret);
      const ok = await sockets.open(s, null, { auth: { token: root.accessToken, signature: handshake } });
      expect(ok.connected).toBe(true);
      await expect(
        connect(s, null, { auth: { token: root.accessToken, signature: handshake } }),
      ).rejects.toThrow('SIGNATURE_INVALID');
      await expect(
        connect(s, null, {
          auth: { token: root.accessToken, signature: { ...signHandshake(key.keyId, 'wrong-secret') } },
        }),
      ).rejects.toThrow('SIGNATURE_INVALID');
    });
  });
});
