import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { io } from 'socket.io-client';
import { AdmissionPipeline } from '../src/connections/admission.js';
import { signHandshake, signRequest } from '../src/updates/client-signature.js';
import { releaseTestDatabase, startApp, type TestApp } from './support/app.js';
import { adminAccount, bearer, type TestUser, uniqueName } from './support/factories.js';
import { connect, settle, socketPool } from './support/sockets.js';

/**
 * A socket is admitted whole or not at all: a handshake refused at any step of the admission, or
 * closed by its client while it is being admitted, holds nothing afterwards (no socket slot, no
 * presence, no spent ticket). Proven on one node and, with PostgreSQL and Redis, on two (refused
 * on one, admitted on the other), with SIGNATURE_REQUIRED so that a step after the credentials
 * refuses.
 */
const MAX_SOCKETS = 2;
const ADMIN = adminAccount();
const withRedis = Boolean(process.env.REDIS_URL && process.env.DATABASE_URL);
const topologies = withRedis ? ['one node', 'two nodes'] : ['one node'];

describe.each(topologies)('socket admission (%s)', (topology) => {
  const sockets = socketPool();
  let key: { keyId: string; secret: string };
  /** Where handshakes are refused or dropped, and where the user then connects and is looked at. */
  let refusing: TestApp;
  let admitting: TestApp;
  const nodes: TestApp[] = [];

  /** A request signed with the client key, as SIGNATURE_REQUIRED demands of every route. */
  const signed = (node: TestApp, method: 'GET' | 'POST', path: string, as?: TestUser, body?: object) => {
    const raw = body === undefined ? '' : JSON.stringify(body);
    const req =
      method === 'GET'
        ? node.http.get(path)
        : node.http.post(path).set('Content-Type', 'application/json').send(raw);
    req.set(signRequest({ ...key, method, path, body: raw }));
    return as ? req.set(...bearer(as)) : req;
  };

  const register = async (): Promise<TestUser> => {
    const username = uniqueName();
    const res = await signed(refusing, 'POST', '/api/v1/auth/register', undefined, {
      username,
      password: 'password-123',
    }).expect(201);
    return { id: res.body.user.id, username, password: 'password-123', ...res.body };
  };

  const befriend = async (a: TestUser, b: TestUser): Promise<void> => {
    const req = await signed(refusing, 'POST', '/api/v1/friends/requests', a, { userId: b.id }).expect(201);
    await signed(refusing, 'POST', `/api/v1/friends/requests/${req.body.id}/accept`, b).expect(200);
  };

  /** Whether `friend` is online as `viewer` sees it on `node`. */
  const online = async (node: TestApp, viewer: TestUser, friend: TestUser): Promise<boolean> => {
    const res = await signed(node, 'GET', '/api/v1/connections', viewer).expect(200);
    return (res.body.items as { userId: string; online: boolean }[]).find((c) => c.userId === friend.id)!
      .online;
  };

  const goodSignature = () => signHandshake(key.keyId, key.secret);
  const badSignature = () => signHandshake(key.keyId, 'not-the-secret');

  beforeAll(async () => {
    // A client key, made on a node that does not require signatures yet.
    const open = await startApp(ADMIN.env);
    const admin = (
      await open.http
        .post('/api/v1/auth/login')
        .send({ username: ADMIN.username, password: ADMIN.password })
        .expect(200)
    ).body;
    key = (
      await open.http
        .post('/api/v1/client-keys')
        .set(...bearer(admin))
        .send({ name: 'admission' })
        .expect(201)
    ).body;
    await open.close();
    const env = {
      SIGNATURE_REQUIRED: 'true',
      MAX_SOCKETS_PER_USER: String(MAX_SOCKETS),
      JWT_SECRET: open.config.jwt.secret,
      REDIS_PREFIX: `relay-admission:${randomUUID()}:`,
    };
    nodes.push(await startApp(env));
    if (topology === 'two nodes') nodes.push(await startApp(env));
    refusing = nodes[0]!;
    admitting = nodes.at(-1)!;
  }, 120_000);
  afterAll(async () => {
    for (const node of nodes.splice(0)) await node.close();
    await releaseTestDatabase();
  });

  it('runs its steps in the written order: origin, credentials, signature, limits, rooms', () => {
    expect(refusing.app.get(AdmissionPipeline).order()).toEqual([
      'origin:node and origin',
      'credentials:token',
      'signature:client signature',
      'limits:sockets per user',
      'rooms:user and session',
      'rooms:conversations',
      'rooms:platform',
    ]);
  });

  it('a handshake refused for its signature takes no socket slot, no presence and no ticket', async () => {
    const [user, friend] = [await register(), await register()];
    await befriend(user, friend);
    for (let i = 0; i < MAX_SOCKETS + 3; i++) {
      await expect(
        connect(refusing, null, { auth: { token: user.accessToken, signature: badSignature() } }),
      ).rejects.toThrow('SIGNATURE_INVALID');
    }
    const ticket = (await signed(refusing, 'GET', '/api/v1/auth/ws-token', user).expect(200)).body.token;
    await expect(
      connect(refusing, null, { auth: { token: ticket, signature: badSignature() } }),
    ).rejects.toThrow('SIGNATURE_INVALID');
    expect(await online(admitting, friend, user)).toBe(false);

    // The ticket was not spent by the refusal; the slots are all free.
    await sockets.open(admitting, null, { auth: { token: ticket, signature: goodSignature() } });
    await sockets.open(admitting, null, { auth: { token: user.accessToken, signature: goodSignature() } });
    expect(await online(refusing, friend, user)).toBe(true);
    await expect(
      connect(refusing, null, { auth: { token: user.accessToken, signature: goodSignature() } }),
    ).rejects.toThrow('TOO_MANY_SOCKETS');
    // A ticket that admitted a socket is spent.
    await expect(
      connect(refusing, null, { auth: { token: ticket, signature: goodSignature() } }),
    ).rejects.toThrow('UNAUTHORIZED');
  });

  it('a client that goes away while it is being admitted holds nothing', async () => {
    const [user, friend] = [await register(), await register()];
    await befriend(user, friend);
    // The client closes its connection 0 to 14 ms after its CONNECT packet: before, during and
    // after the server's admission steps.
    for (let i = 0; i < 45; i++) {
      await dropWhileAdmitted(refusing, { token: user.accessToken, signature: goodSignature() }, i % 15);
    }
    await settle(500);
    expect(await online(admitting, friend, user)).toBe(false);
    for (let i = 0; i < MAX_SOCKETS; i++)
      await sockets.open(admitting, null, { auth: { token: user.accessToken, signature: goodSignature() } });
    await expect(
      connect(refusing, null, { auth: { token: user.accessToken, signature: goodSignature() } }),
    ).rejects.toThrow('TOO_MANY_SOCKETS');
  });
});

/** Opens a socket and closes its connection `delayMs` after the transport opened (CONNECT sent). */
async function dropWhileAdmitted(
  node: TestApp,
  auth: Record<string, unknown>,
  delayMs: number,
): Promise<void> {
  const socket = io(node.url, { transports: ['websocket'], forceNew: true, reconnection: false, auth });
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 5000);
    socket.io.on('open', () => setTimeout(() => socket.io.engine.close(), delayMs));
    socket.io.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  socket.close();
}
