import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { Socket } from 'socket.io-client';
import { type Message, RelayClient, RelayError, unwrap } from '../packages/client/src/index.js';
import { releaseTestDatabase, startApp, type TestApp } from './support/app.js';
import { settle, until } from './support/sockets.js';
import { forgeAccessToken, uniqueName } from './support/factories.js';

describe('the client SDK (packages/client) against a running Relay', () => {
  let t: TestApp;
  const clients: RelayClient[] = [];

  beforeAll(async () => {
    // Access tokens of 5 s: refreshes happen within a test.
    t = await startApp({ JWT_ACCESS_TTL_SECONDS: '5' });
  });
  afterEach(() => {
    for (const client of clients.splice(0)) client.disconnect();
  });
  afterAll(async () => {
    await t?.close();
    await releaseTestDatabase();
  });

  const newClient = (options: Partial<ConstructorParameters<typeof RelayClient>[0]> = {}): RelayClient => {
    const client = new RelayClient({ baseUrl: t.url, socket: { transports: ['websocket'] }, ...options });
    clients.push(client);
    return client;
  };
  const signedUp = async () => {
    const client = newClient();
    const username = uniqueName('sdk');
    const auth = await client.register({ username, password: 'correct-horse-1' });
    return { client, id: auth.user.id, username, auth };
  };
  /** Two users who are friends, each with a connected client. */
  const friends = async () => {
    const a = await signedUp();
    const b = await signedUp();
    const request = await unwrap(a.client.api.POST('/api/v1/friends/requests', { body: { userId: b.id } }));
    await unwrap(
      b.client.api.POST('/api/v1/friends/requests/{id}/accept', { params: { path: { id: request.id } } }),
    );
    a.client.connect();
    b.client.connect();
    await until(() => a.client.connected && b.client.connected, 10_000, 'both connected');
    return { a, b };
  };
  const heard = (client: RelayClient): Message[] => {
    const messages: Message[] = [];
    client.on('message:new', (m) => messages.push(m));
    return messages;
  };
  /** Drops the connection at the transport, as a network failure would; socket.io-client reconnects. */
  const dropConnection = (client: RelayClient): void => {
    (client as unknown as { socket: Socket }).socket.io.engine.close();
  };

  it('signs up, calls typed REST routes with its token, and reports refusals as RelayError with the code', async () => {
    const { client, username } = await signedUp();
    const me = await unwrap(client.api.GET('/api/v1/users/me'));
    expect(me.username).toBe(username);
    const missing = await unwrap(
      client.api.GET('/api/v1/users/{id}', { params: { path: { id: randomUUID() } } }),
    ).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(RelayError);
    expect(missing).toMatchObject({ code: 'NOT_FOUND', status: 404 });
  });

  it('refreshes an expired access token on a REST 401 and retries the call once', async () => {
    const { id, auth } = await signedUp();
    // A client started with an access token that ended an hour ago (beyond any clock leeway) and
    // its session's refresh token, as after a night in a drawer.
    const stale = await forgeAccessToken(t, {
      sub: id,
      sid: auth.sessionId,
      exp: Math.floor(Date.now() / 1000) - 3600,
      iat: Math.floor(Date.now() / 1000) - 7200,
    });
    const client = newClient({ tokens: { accessToken: stale, refreshToken: auth.refreshToken } });
    const refreshed: unknown[] = [];
    client.on('tokens', (pair) => refreshed.push(pair));
    const me = await unwrap(client.api.GET('/api/v1/users/me'));
    expect(me.id).toBe(id);
    expect(refreshed).toEqual([{ accessToken: expect.any(String), refreshToken: expect.any(String) }]);
  });

  it('keeps the socket alive past its token: session:expiring is answered with auth:refresh', async () => {
    const { a } = await friends();
    const expired: unknown[] = [];
    a.client.on('session:expired', (notice) => expired.push(notice));
    const disconnects: unknown[] = [];
    a.client.on('connection', (change) => {
      if (!change.connected) disconnects.push(change);
    });
    await settle(7500); // past the first token's end
    expect(expired).toEqual([]);
    expect(disconnects).toEqual([]);
    expect(a.client.connected).toBe(true);
  }, 20_000);

  it('a send whose ack is late is retried with its clientMsgId: stored once, the same message returned', async () => {
    const { a, b } = await friends();
    const onB = heard(b.client);
    // An ack timeout shorter than any answer: the first try always "fails", later tries meet the stored message.
    const impatient = newClient({ ackTimeoutMs: 1, sendTimeoutMs: 20_000 });
    await impatient.login({ username: a.username, password: 'correct-horse-1' });
    impatient.connect();
    const sent = impatient.send({ to: { type: 'user', id: b.id }, body: 'once only' });
    // The retries keep timing out at 1 ms; give the first try time to be stored, then let acks through.
    await settle(500);
    (impatient as unknown as { ackTimeoutMs: number }).ackTimeoutMs = 5000;
    const message = await sent;
    await until(() => onB.length >= 1, 5000, 'B hears it');
    await settle(300);
    expect(onB.map((m) => m.id)).toEqual([message.id]);
    const history = await unwrap(
      b.client.api.GET('/api/v1/conversations/{id}/messages', {
        params: { path: { id: message.conversationId } },
      }),
    );
    expect(history.items.filter((m) => m.body === 'once only')).toHaveLength(1);
  });

  it('syncs after every reconnection: what was missed arrives once, in order, and the cursors move', async () => {
    const { a, b } = await friends();
    const onB = heard(b.client);
    const first = await a.client.send({ to: { type: 'user', id: b.id }, body: 'before' });
    await until(() => onB.length === 1, 5000, 'the first message');

    // B goes offline (the socket is closed), A writes three messages, B comes back.
    b.client.disconnect();
    for (const body of ['one', 'two', 'three']) await a.client.send({ to: { type: 'user', id: b.id }, body });
    const synced: unknown[] = [];
    b.client.on('synced', (result) => synced.push(result));
    b.client.connect();
    await until(() => synced.length === 1 && onB.length === 4, 10_000, 'B caught up');
    expect(onB.map((m) => m.body)).toEqual(['before', 'one', 'two', 'three']);
    expect(b.client.syncState.cursors[first.conversationId]).toBe(onB.at(-1)!.seq);
    expect(b.client.syncState.syncToken).toEqual(expect.any(String));

    // A dropped connection (not a close): socket.io-client reconnects and the client syncs by itself.
    dropConnection(b.client);
    await a.client.send({ to: { type: 'user', id: b.id }, body: 'four' });
    await until(() => synced.length === 2 && onB.length === 5, 10_000, 'B caught up after the drop');
    await settle(300);
    expect(onB.map((m) => m.body)).toEqual(['before', 'one', 'two', 'three', 'four']);
  });

  it('delivers each message once even when a sync brings it again (the sender’s own, after a reconnect)', async () => {
    const { a, b } = await friends();
    const onA = heard(a.client);
    const theirs = await b.client.send({ to: { type: 'user', id: a.id }, body: 'theirs' });
    await until(() => onA.length === 1, 5000, 'A hears B');
    // A's cursor stands at B's message (seq 1); A's own message (seq 2, known from its ack) comes
    // back with the next sync: A's listeners must not hear it as new.
    const mine = await a.client.send({ to: { type: 'user', id: b.id }, body: 'mine' });
    expect(mine.seq).toBeGreaterThan(theirs.seq);
    const synced: unknown[] = [];
    a.client.on('synced', (result) => synced.push(result));
    dropConnection(a.client);
    await until(() => synced.length === 1, 10_000, 'A synced');
    expect(a.client.syncState.cursors[mine.conversationId]).toBe(mine.seq); // the sync did bring it
    expect(onA.map((m) => m.id)).toEqual([theirs.id]);
    expect(onA.map((m) => m.id)).not.toContain(mine.id);
  });

  it('reports a refused send as a typed RelayError at once (not retried)', async () => {
    const a = await signedUp();
    const stranger = await signedUp();
    a.client.connect();
    await until(() => a.client.connected, 10_000, 'connected');
    const refusal = await a.client
      .send({ to: { type: 'user', id: stranger.id }, body: 'hello?' })
      .catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(RelayError);
    expect(refusal).toMatchObject({ code: 'FORBIDDEN', retryable: false });
    expect(a.client.pendingSends).toBe(0);
  });

  it('a revoked session signs the client out and its socket stays closed', async () => {
    const { client, auth, username } = await signedUp();
    client.connect();
    await until(() => client.connected, 10_000, 'connected');
    const tokens: unknown[] = [];
    client.on('tokens', (pair) => tokens.push(pair));
    // The same user on another device ends the first session.
    const other = newClient();
    await other.login({ username, password: 'correct-horse-1' });
    await unwrap(other.api.DELETE('/api/v1/sessions/{id}', { params: { path: { id: auth.sessionId } } }));
    await until(() => tokens.length === 1, 10_000, 'signed out');
    expect(tokens).toEqual([null]);
    await settle(1500);
    expect(client.connected).toBe(false);
    expect(client.signedIn).toBe(false);
  });

  it('a socket Relay closed at its token’s end (the notice missed) comes back with a fresh token and syncs', async () => {
    const { a, b } = await friends();
    // As if the tab slept through `session:expiring`: the client does not answer it.
    (b.client as unknown as { refreshSocket: () => Promise<void> }).refreshSocket = () => Promise.resolve();
    const onB = heard(b.client);
    const changes: { connected: boolean; reason?: string }[] = [];
    b.client.on('connection', (change) => changes.push(change));
    const synced: unknown[] = [];
    b.client.on('synced', (result) => synced.push(result));
    await until(() => changes.some((c) => !c.connected), 10_000, 'Relay closes the socket');
    expect(changes[0]).toEqual({ connected: false, reason: 'io server disconnect' });
    await a.client.send({ to: { type: 'user', id: b.id }, body: 'while it was closed' });
    // (Each fresh token also ends unrefreshed 5 s later: on a slow machine the cycle may repeat.)
    await until(() => b.client.connected && synced.length >= 1, 10_000, 'back and synced');
    await until(() => onB.some((m) => m.body === 'while it was closed'), 5000, 'the message');
  }, 20_000);
});
