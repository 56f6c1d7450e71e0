import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import type { Socket } from 'socket.io-client';
import { SocketRouter } from '../src/realtime/socket-router.js';
import { releaseTestDatabase, startApp, type TestApp } from './support/app.js';
import {
  befriend,
  bearer,
  createGroup,
  nestedValue,
  registerUser,
  type TestUser,
} from './support/factories.js';
import { call, connect } from './support/sockets.js';

/**
 * Property: whatever a client sends — random types, sizes, unicode (NUL, lone surrogates, RTL),
 * nesting, prototype keys, numbers at the edges — to any REST route or socket event, the answer is
 * never a 500 or INTERNAL, the socket stays usable, the server stays up, and data the caller may
 * not touch stays as it was. FUZZ_RUNS sets the runs per route and event (`npm run fuzz` runs
 * many; CI a few).
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 12);

interface Operation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  bodyKeys: string[] | null;
  queryKeys: string[];
}

type Doc = {
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
};

// Routes that would end the fuzzing session itself, or need a multipart body.
const SKIPPED = new Set(['post /api/v1/auth/logout', 'post /api/v1/attachments', 'post /api/v1/releases']);

const edgeNumber = fc.constantFrom(
  0,
  -0,
  -1,
  1,
  1.5,
  2 ** 31,
  2 ** 53 - 1,
  2 ** 53,
  -(2 ** 53),
  1e308,
  -1e308,
);
const nastyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'a\u0000b',
    '\ud800',
    '\udfff lone',
    '\u202e RTL override',
    '\u0007\u001b[31m',
    '%00',
    '../../etc/passwd',
    "'; DROP TABLE messages; --",
    '{"$gt":""}',
    '__proto__',
    'x'.repeat(5000),
  ),
  fc.uuid().map((u) => u),
);
const protoKey = fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty');
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    nastyString,
    edgeNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('v'), { maxLength: 5 }),
    fc.dictionary(fc.oneof(fc.string({ maxLength: 10 }), protoKey), tie('v'), { maxKeys: 5 }),
  ),
})).v;
/** A value nested `depth` levels, to probe the nesting limit from both sides. */
const deep = fc.integer({ min: 20, max: 80 }).map(nestedValue);
/** Bodies: anything at all, or an object with the route's own keys holding anything. */
const bodyFor = (keys: string[] | null): fc.Arbitrary<unknown> =>
  fc.oneof(
    value,
    deep,
    keys && keys.length > 0
      ? fc
          .subarray(keys, { minLength: 1 })
          .chain((ks) => fc.tuple(...ks.map((k) => fc.tuple(fc.constant(k), fc.oneof(value, deep)))))
          .map((entries) => Object.fromEntries(entries))
      : value,
  );

describe('fuzzing every REST body and socket event: nothing answers 500, nothing breaks', () => {
  let t: TestApp;
  let fuzzer: TestUser;
  let operations: Operation[];
  const ids: string[] = [];
  /** Two other users' conversation, which nothing the fuzzer sends may change. */
  let bystanders: { a: TestUser; conversationId: string; history: unknown };

  const historyOf = async () =>
    (
      await t.http
        .get(`/api/v1/conversations/${bystanders.conversationId}/messages?afterSeq=0&limit=100`)
        .set(...bearer(bystanders.a))
        .expect(200)
    ).body;

  /** Keeps the fuzzer signed in (a fuzzed request may legitimately end its session). */
  const token = async (): Promise<string> => {
    const me = await t.http.get('/api/v1/users/me').set(...bearer(fuzzer));
    if (me.status === 200) return fuzzer.accessToken;
    const login = await t.http
      .post('/api/v1/auth/login')
      .send({ username: fuzzer.username, password: fuzzer.password })
      .expect(200);
    fuzzer = {
      ...fuzzer,
      ...(login.body as { accessToken: string; refreshToken: string; sessionId: string }),
    };
    return fuzzer.accessToken;
  };

  beforeAll(async () => {
    t = await startApp();
    fuzzer = await registerUser(t);
    const friend = await registerUser(t);
    await befriend(t, fuzzer, friend);
    const own = (
      await t.http
        .post('/api/v1/messages')
        .set(...bearer(fuzzer))
        .send({ to: { type: 'user', id: friend.id }, body: 'seed' })
        .expect(201)
    ).body as { id: string; conversationId: string };
    const group = await createGroup(t, fuzzer, [friend], 'fuzz');
    ids.push(fuzzer.id, friend.id, own.id, own.conversationId, group.id, fuzzer.sessionId);

    const [a, b] = [await registerUser(t), await registerUser(t)];
    await befriend(t, a, b);
    const m = (
      await t.http
        .post('/api/v1/messages')
        .set(...bearer(a))
        .send({ to: { type: 'user', id: b.id }, body: 'private' })
        .expect(201)
    ).body as { id: string; conversationId: string };
    ids.push(a.id, m.id, m.conversationId);
    bystanders = { a, conversationId: m.conversationId, history: null };
    bystanders.history = await historyOf();

    const doc = (await t.http.get('/docs-json').expect(200)).body as Doc;
    operations = [];
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        if (SKIPPED.has(`${method} ${path}`)) continue;
        const content = (
          op.requestBody as { content?: Record<string, { schema?: { $ref?: string } }> } | undefined
        )?.content;
        if (content && !content['application/json']) continue;
        const ref = content?.['application/json']?.schema?.$ref?.split('/').pop();
        const bodyKeys = ref
          ? Object.keys(doc.components.schemas[ref]?.properties ?? {})
          : content
            ? []
            : null;
        const queryKeys = ((op.parameters as { in: string; name: string }[] | undefined) ?? [])
          .filter((p) => p.in === 'query')
          .map((p) => p.name);
        operations.push({ method: method as Operation['method'], path, bodyKeys, queryKeys });
      }
    }
  });
  afterAll(async () => {
    await t?.close();
    await releaseTestDatabase();
  });

  it('every REST route: random bodies, path parameters and queries never get a 500', async () => {
    expect(operations.length).toBeGreaterThan(60);
    const pathParam = fc.oneof(fc.constantFrom(...ids), fc.constant(randomUUID()), nastyString);
    const failures: string[] = [];
    for (const op of operations) {
      await fc
        .assert(
          fc.asyncProperty(
            fc.array(pathParam, { minLength: 4, maxLength: 4 }),
            op.bodyKeys === null ? fc.constant(undefined) : bodyFor(op.bodyKeys),
            fc.dictionary(
              fc.constantFrom(...op.queryKeys, 'x'),
              fc.oneof(nastyString, edgeNumber.map(String)),
              {
                maxKeys: 3,
              },
            ),
            async (params, body, query) => {
              let i = 0;
              const url = op.path.replace(/\{[^}]+\}/g, () =>
                encodeURIComponent(String(params[i++ % params.length])),
              );
              let req = t.http[op.method](url)
                .query(query)
                .set('Authorization', `Bearer ${await token()}`);
              if (body !== undefined)
                req = req.set('Content-Type', 'application/json').send(JSON.stringify(body));
              const res = await req;
              if (res.status >= 500 || res.body?.code === 'INTERNAL') {
                failures.push(
                  `${op.method.toUpperCase()} ${url} ${JSON.stringify(body)?.slice(0, 300)} → ${res.status} ${JSON.stringify(res.body)}`,
                );
                return false;
              }
              return true;
            },
          ),
          { numRuns: RUNS, endOnFailure: true },
        )
        .catch(() => undefined);
    }
    expect(failures).toEqual([]);
    await t.http.get('/readyz').expect(200);
    expect(await historyOf()).toEqual(bystanders.history);
  }, 600_000);

  it('every socket event: random payloads are answered (never INTERNAL) and the socket stays usable', async () => {
    const events = t.app.get(SocketRouter).events();
    expect(events).toEqual(expect.arrayContaining(['message:send', 'sync', 'typing', 'auth:refresh']));
    const socket: Socket = await connect(t, await token());
    const failures: string[] = [];
    try {
      for (const event of [...events, 'no:such-event', '__proto__']) {
        await fc
          .assert(
            fc.asyncProperty(
              fc.oneof(
                value,
                deep,
                bodyFor([
                  'conversationId',
                  'body',
                  'clientMsgId',
                  'to',
                  'seq',
                  'cursors',
                  'since',
                  'messageId',
                  'groupId',
                  'userId',
                  'typing',
                  'state',
                  'token',
                ]),
              ),
              async (payload) => {
                // Packets past MAX_SOCKET_PACKET_BYTES close the connection by design (a transport limit).
                fc.pre((JSON.stringify(payload) ?? '').length < 60_000);
                const ack = await call(socket, event, payload);
                if (!ack.ok && ack.error.code === 'INTERNAL') {
                  failures.push(
                    `${event} ${JSON.stringify(payload)?.slice(0, 300)} → ${JSON.stringify(ack.error)}`,
                  );
                  return false;
                }
                return socket.connected;
              },
            ),
            { numRuns: RUNS, endOnFailure: true },
          )
          .catch((error: unknown) => failures.push(`${event}: ${String(error).slice(0, 500)}`));
      }
      expect(failures).toEqual([]);
      expect(socket.connected).toBe(true);
      expect(await call(socket, 'sync', {})).toMatchObject({ ok: true });
    } finally {
      socket.close();
    }
    expect(await historyOf()).toEqual(bystanders.history);
  }, 600_000);
});
