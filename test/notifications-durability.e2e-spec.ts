import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Env, releaseTestDatabase } from './support/app.js';
import { bearer, registerUser, type TestUser } from './support/factories.js';
import { type BrowserSubscription, WebPushService } from './support/push-receivers.js';
import { type ServerProcess, startServerProcess } from './support/server-process.js';
import { settle } from './support/sockets.js';

const dirs: string[] = [];
function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'relay-notify-'));
  dirs.push(dir);
  return dir;
}

/**
 * Notification jobs live in the database: they outlive the process that made or claimed them.
 * Each scenario runs on the test database (PostgreSQL when DATABASE_URL is set) and on a server
 * that keeps its own embedded PGlite under its data directory.
 */
describe.each([
  ['the test database', (): Env => ({})],
  ['embedded PGlite on disk', (): Env => ({ DATABASE_URL: '', DATA_DIR: dataDir() })],
])('notification jobs survive kill -9 (%s)', (_name, target) => {
  let webPush: WebPushService;
  const servers: ServerProcess[] = [];
  const start = async (env: Env) => {
    const server = await startServerProcess(env);
    servers.push(server);
    return server;
  };
  const kill = async (server: ServerProcess) => {
    server.process.kill('SIGKILL');
    await server.exited;
  };

  beforeAll(async () => {
    webPush = await WebPushService.start();
  });
  afterAll(async () => {
    for (const s of servers) await s.close();
    await webPush?.close();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    await releaseTestDatabase();
  });

  const baseEnv = (delayMs: number): Env => ({
    DM_POLICY: 'anyone',
    NOTIFY_DELAY_MS: String(delayMs),
    NOTIFY_RETRY_DELAY_SECONDS: '1',
    NOTIFY_JOB_TIMEOUT_SECONDS: '2',
    PUSH_ENDPOINT_HOSTS: webPush.host,
  });
  const setup = async (
    server: ServerProcess,
  ): Promise<{ a: TestUser; b: TestUser; sub: BrowserSubscription }> => {
    const [a, b] = [await registerUser(server), await registerUser(server)];
    const sub = webPush.subscription();
    await server.http
      .post('/api/v1/push-subscriptions')
      .set(...bearer(b))
      .send({ kind: 'webpush', endpoint: sub.endpoint, keys: sub.keys })
      .expect(201);
    return { a, b, sub };
  };
  const dm = (server: ServerProcess, from: TestUser, to: TestUser, body: string) =>
    server.http
      .post('/api/v1/messages')
      .set(...bearer(from))
      .send({ to: { type: 'user', id: to.id }, body })
      .expect(201);

  it('a delivery claimed by a process that dies is sent again after restart, with the same job id', async () => {
    const env = { ...target(), ...baseEnv(200) };
    let server = await start(env);
    const { a, b, sub } = await setup(server);
    webPush.answerNext(WebPushService.for(sub), 'hold');
    await dm(server, a, b, 'claimed, then the process died');
    await webPush.waitFor(1, WebPushService.for(sub));
    await kill(server);

    server = await start(env);
    const tries = await webPush.waitFor(2, WebPushService.for(sub), 30_000);
    const [first, second] = tries.map((r) => webPush.decrypt(r));
    expect(second).toEqual(first);
    expect(second).toMatchObject({
      body: 'claimed, then the process died',
      count: 1,
      jobId: expect.any(String),
    });
    await settle(2500);
    expect(webPush.to(sub)).toHaveLength(2);
    await server.close();
  }, 90_000);

  it('a window whose process dies before it closes is still told after restart', async () => {
    const env = { ...target(), ...baseEnv(1500) };
    let server = await start(env);
    const { a, b, sub } = await setup(server);
    await dm(server, a, b, 'one');
    await dm(server, a, b, 'two');
    await settle(300); // The window's job is stored off the send path, within a tick.
    await kill(server);

    server = await start(env);
    const [payload] = (await webPush.waitFor(1, WebPushService.for(sub), 30_000)).map((r) =>
      webPush.decrypt(r),
    );
    expect(payload).toMatchObject({ count: 2, body: 'two', seq: 2 });
    await server.close();
  }, 90_000);

  it('a delivery that keeps failing stops after NOTIFY_MAX_ATTEMPTS and is counted failed', async () => {
    const env = { ...target(), ...baseEnv(200), NOTIFY_MAX_ATTEMPTS: '2' };
    const server = await start(env);
    const { a, b, sub } = await setup(server);
    webPush.answerNext(WebPushService.for(sub), { status: 500 }, { status: 502 }, { status: 503 });
    await dm(server, a, b, 'never accepted');
    await webPush.waitFor(2, WebPushService.for(sub), 20_000);
    await settle(6000); // A third attempt would have come 2-4 s after the second.
    expect(webPush.to(sub)).toHaveLength(2);
    const metrics = (await server.http.get('/metrics').expect(200)).text;
    expect(metrics).toMatch(/relay_notification_jobs_finished_total\{queue="push",outcome="failed"\} 1\b/);
    expect(metrics).toMatch(/relay_notification_jobs_finished_total\{queue="push",outcome="retried"\} 1\b/);
    await server.close();
  }, 60_000);
});
