import { afterAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { createApp } from '../src/app.factory.js';
import { AppConfig } from '../src/common/config/app-config.js';
import { releaseTestDatabase, startApp } from './support/app.js';
import { uniqueName } from './support/factories.js';

describe('start-up and persistence', () => {
  afterAll(async () => {
    await releaseTestDatabase();
  });

  it('starts with no environment at all on embedded PGlite under ./data and keeps data across restarts', async () => {
    const cwd = process.cwd();
    const dir = mkdtempSync(join(tmpdir(), 'relay-bare-'));
    process.chdir(dir);
    try {
      const username = uniqueName('bare');
      const boot = async () => {
        const app = await createApp(AppConfig.load({}));
        await app.listen(0, '127.0.0.1');
        return { app, http: request(app.getHttpServer()) };
      };

      const first = await boot();
      await first.http.post('/api/v1/auth/register').send({ username, password: 'sunflower-42' }).expect(201);
      await first.app.close();
      expect(existsSync(join(dir, 'data', 'pgdata'))).toBe(true);
      expect(existsSync(join(dir, 'data', 'jwt-secret'))).toBe(true);

      const second = await boot();
      const login = await second.http
        .post('/api/v1/auth/login')
        .send({ username, password: 'sunflower-42' })
        .expect(200);
      expect(login.body.user.username).toBe(username);
      await second.app.close();
    } finally {
      process.chdir(cwd);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('keeps data across restarts on the configured database, and old tokens stay valid', async () => {
    const first = await startApp();
    const username = uniqueName('durable');
    const reg = await first.http
      .post('/api/v1/auth/register')
      .send({ username, password: 'sunflower-42' })
      .expect(201);
    await first.close();

    const second = await startApp();
    try {
      await second.http
        .get('/api/v1/users/me')
        .set('Authorization', `Bearer ${reg.body.accessToken}`)
        .expect(200);
      await second.http.post('/api/v1/auth/login').send({ username, password: 'sunflower-42' }).expect(200);
    } finally {
      await second.close();
    }
  });
});
