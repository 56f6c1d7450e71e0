import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import type { TestApp } from './app.js';

export interface TestUser {
  id: string;
  username: string;
  password: string;
  accessToken: string;
  refreshToken: string;
  sessionId: string;
}

let counter = 0;

export const uniqueName = (prefix = 'user'): string =>
  `${prefix}_${(++counter).toString(36)}${randomBytes(3).toString('hex')}`;

/** Registers a fresh user through the API. */
export async function registerUser(
  t: Pick<TestApp, 'http'>,
  overrides: { username?: string; password?: string; displayName?: string } = {},
): Promise<TestUser> {
  const username = overrides.username ?? uniqueName();
  const password = overrides.password ?? 'correct-horse-1';
  const res = await t.http
    .post('/api/v1/auth/register')
    .send({ username, password, ...(overrides.displayName ? { displayName: overrides.displayName } : {}) })
    .expect(201);
  const body = res.body as {
    user: { id: string };
    accessToken: string;
    refreshToken: string;
    sessionId: string;
  };
  return {
    id: body.user.id,
    username,
    password,
    accessToken: body.accessToken,
    refreshToken: body.refreshToken,
    sessionId: body.sessionId,
  };
}

export const bearer = (u: { accessToken: string }): [string, string] => [
  'Authorization',
  `Bearer ${u.accessToken}`,
];

/** Makes two users friends through the friend-request flow. */
export async function befriend(t: Pick<TestApp, 'http'>, a: TestUser, b: TestUser): Promise<void> {
  const req = await t.http
    .post('/api/v1/friends/requests')
    .set(...bearer(a))
    .send({ userId: b.id })
    .expect(201);
  await t.http
    .post(`/api/v1/friends/requests/${(req.body as { id: string }).id}/accept`)
    .set(...bearer(b))
    .expect(200);
}

/** A tenant owned by a new user, with `memberCount` new members and an application (its key shown once). */
export async function tenantWithApp(
  t: Pick<TestApp, 'http'>,
  memberCount: number,
): Promise<{ owner: TestUser; members: TestUser[]; tenantId: string; app: { id: string; apiKey: string } }> {
  const owner = await registerUser(t);
  const members = await Promise.all(Array.from({ length: memberCount }, () => registerUser(t)));
  const tenant = (
    await t.http
      .post('/api/v1/tenants')
      .set(...bearer(owner))
      .send({ name: 'Acme' })
      .expect(201)
  ).body as { id: string };
  for (const m of members)
    await t.http
      .post(`/api/v1/tenants/${tenant.id}/members`)
      .set(...bearer(owner))
      .send({ userId: m.id, role: 'member' })
      .expect(201);
  const app = (
    await t.http
      .post(`/api/v1/tenants/${tenant.id}/apps`)
      .set(...bearer(owner))
      .send({ name: 'Payroll' })
      .expect(201)
  ).body as { id: string; apiKey: string };
  return { owner, members, tenantId: tenant.id, app };
}

/** Environment that makes a starting app bootstrap an administrator with these credentials. */
export function adminAccount(): { env: Record<string, string>; username: string; password: string } {
  const username = uniqueName('root');
  const password = 'admin-pass-1';
  return { env: { ADMIN_USERNAME: username, ADMIN_PASSWORD: password }, username, password };
}

/** Signs in with a username and password; the session's tokens. */
export async function login(
  t: Pick<TestApp, 'http'>,
  account: { username: string; password: string },
): Promise<{ accessToken: string; refreshToken: string; sessionId: string }> {
  const res = await t.http
    .post('/api/v1/auth/login')
    .send({ username: account.username, password: account.password })
    .expect(200);
  return res.body as { accessToken: string; refreshToken: string; sessionId: string };
}

/** A private group of `owner` with `members`; its ids. */
export async function createGroup(
  t: Pick<TestApp, 'http'>,
  owner: { accessToken: string },
  members: { id: string }[],
  name = uniqueName('group'),
): Promise<{ id: string; conversationId: string }> {
  const res = await t.http
    .post('/api/v1/groups')
    .set(...bearer(owner))
    .send({ name, memberIds: members.map((m) => m.id) })
    .expect(201);
  return res.body as { id: string; conversationId: string };
}

/**
 * An access token signed with the server's own secret (or `secret`), carrying whatever claims the
 * test gives: `exp` (seconds) or `expiresIn` ('10m'; null for none), `iat` (now unless given).
 */
export function forgeAccessToken(
  t: Pick<TestApp, 'config'>,
  claims: Record<string, unknown>,
  options: { expiresIn?: string | null; secret?: string } = {},
): Promise<string> {
  const jwt = new SignJWT({ typ: 'access', role: 'user', ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(t.config.jwt.issuer)
    .setAudience(t.config.jwt.audience);
  const expiry =
    (claims.exp as number | undefined) ?? (options.expiresIn === undefined ? '10m' : options.expiresIn);
  if (expiry !== null) jwt.setExpirationTime(expiry);
  if (claims.iat === undefined) jwt.setIssuedAt();
  return jwt.sign(new TextEncoder().encode(options.secret ?? t.config.jwt.secret));
}

/** A value nested `depth` levels deep, objects and arrays in turn, around the string 'x'. */
export function nestedValue(depth: number): unknown {
  let value: unknown = 'x';
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value };
  return value;
}

/** A supertest parser that keeps a response body as raw bytes: `.buffer(true).parse(binaryBody)`. */
export function binaryBody(
  res: {
    on(event: 'data', listener: (chunk: Buffer) => void): unknown;
    on(event: 'end', listener: () => void): unknown;
  },
  done: (error: Error | null, body: Buffer) => void,
): void {
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => chunks.push(chunk));
  res.on('end', () => done(null, Buffer.concat(chunks)));
}

/** Whether `friend` is online as `viewer` sees it in their connections list. */
export async function friendOnline(
  t: Pick<TestApp, 'http'>,
  viewer: TestUser,
  friend: { id: string },
): Promise<boolean> {
  const res = await t.http
    .get('/api/v1/connections')
    .set(...bearer(viewer))
    .expect(200);
  return (res.body.items as { userId: string; online: boolean }[]).find((c) => c.userId === friend.id)!
    .online;
}
