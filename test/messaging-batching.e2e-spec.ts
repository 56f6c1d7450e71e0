import { afterAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { MessageDto } from '../src/messaging/dto/message.dto.js';
import { MessageWriter } from '../src/messaging/message-writer.js';
import { releaseTestDatabase, startApp, type TestApp } from './support/app.js';
import { bearer, registerUser, type TestUser } from './support/factories.js';
import { startServerProcess } from './support/server-process.js';
import { type Ack, call, connect, socketPool } from './support/sockets.js';

/** What the server sends for a message: its own DTO type, not a copy. */
type Msg = MessageDto;

/** Every message of a conversation, by seq, through the history route. */
async function history(t: Pick<TestApp, 'http'>, reader: TestUser, conversationId: string): Promise<Msg[]> {
  const all: Msg[] = [];
  for (;;) {
    const page = await t.http
      .get(`/api/v1/conversations/${conversationId}/messages`)
      .query({ afterSeq: all.at(-1)?.seq ?? 0, limit: 100 })
      .set(...bearer(reader))
      .expect(200);
    const body = page.body as { items: Msg[]; hasMore: boolean };
    all.push(...body.items);
    if (!body.hasMore) return all;
  }
}

const seqsOf = (messages: Msg[]): number[] => messages.map((m) => m.seq);
const oneTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

/** A group of `n` fresh users, the first its owner; returns the users and the conversation id. */
async function groupOf(
  t: Pick<TestApp, 'http'>,
  n: number,
): Promise<{ users: TestUser[]; conversationId: string }> {
  const users = await Promise.all(Array.from({ length: n }, () => registerUser(t)));
  const created = await t.http
    .post('/api/v1/groups')
    .set(...bearer(users[0]!))
    .send({ name: `batch ${randomUUID().slice(0, 6)}`, memberIds: users.slice(1).map((u) => u.id) })
    .expect(201);
  return { users, conversationId: (created.body as { conversationId: string }).conversationId };
}

describe('messaging: sends stored in batches keep every delivery rule', () => {
  const sockets = socketPool();
  const apps: { close(): Promise<void> }[] = [];
  const open = (t: Pick<TestApp, 'url'>, token: string) => sockets.open(t, token);
  const app = async (env: Record<string, string> = {}): Promise<TestApp> => {
    const t = await startApp(env);
    apps.push(t);
    return t;
  };

  afterAll(async () => {
    for (const a of apps) await a.close();
    await releaseTestDatabase();
  });

  it('100 senders at once into one conversation: every ack a distinct seq, 1..n with no gap, stored once', async () => {
    const t = await app();
    const { users, conversationId } = await groupOf(t, 25);
    // Four devices per user: 100 sockets sending at the same moment.
    const senders = (
      await Promise.all(users.map((u) => Promise.all([1, 2, 3, 4].map(() => open(t, u.accessToken)))))
    ).flat();
    const acks = await Promise.all(
      senders.flatMap((s, i) =>
        [0, 1, 2].map((k) =>
          call<Msg>(
            s,
            'message:send',
            { conversationId, body: `s${i}-${k}`, clientMsgId: randomUUID() },
            60_000,
          ),
        ),
      ),
    );
    expect(acks.filter((a) => !a.ok)).toEqual([]);
    const acked = acks.map((a) => (a as { data: Msg }).data);
    expect(seqsOf(acked).sort((a, b) => a - b)).toEqual(oneTo(300));
    const stored = await history(t, users[0]!, conversationId);
    expect(seqsOf(stored)).toEqual(oneTo(300));
    expect(new Set(stored.map((m) => m.id)).size).toBe(300);
    // What each sender was told is what was stored.
    const byId = new Map(stored.map((m) => [m.id, m]));
    for (const m of acked) expect(byId.get(m.id)).toMatchObject({ seq: m.seq, body: m.body });
  });

  it('a retry while the original still waits for its batch gets the same message; one is stored', async () => {
    const t = await app();
    const { users, conversationId } = await groupOf(t, 2);
    const [a, b] = [await open(t, users[0]!.accessToken), await open(t, users[0]!.accessToken)];
    // Enough traffic that the original waits in the queue behind a batch in flight.
    const noise = Array.from({ length: 50 }, (_, i) =>
      call<Msg>(b, 'message:send', { conversationId, body: `noise ${i}`, clientMsgId: randomUUID() }),
    );
    const clientMsgId = randomUUID();
    const [first, again, viaRest] = await Promise.all([
      call<Msg>(a, 'message:send', { conversationId, body: 'once', clientMsgId }),
      call<Msg>(b, 'message:send', { conversationId, body: 'once', clientMsgId }),
      t.http
        .post('/api/v1/messages')
        .set(...bearer(users[0]!))
        .send({ conversationId, body: 'once', clientMsgId }),
    ]);
    await Promise.all(noise);
    expect(first.ok && again.ok).toBe(true);
    const original = (first as { data: Msg }).data;
    expect((again as { data: Msg }).data.id).toBe(original.id);
    expect([200, 201]).toContain(viaRest.status);
    expect((viaRest.body as Msg).id).toBe(original.id);
    const stored = await history(t, users[1]!, conversationId);
    expect(stored.filter((m) => m.clientMsgId === clientMsgId)).toHaveLength(1);
    expect(seqsOf(stored)).toEqual(oneTo(51));
  });

  it('one message the database refuses fails alone; the rest of its batch is stored, seqs stay gapless', async () => {
    const t = await app();
    const { users, conversationId } = await groupOf(t, 2);
    const writer = t.app.get(MessageWriter);
    const draft = (body: string) => ({
      conversationId,
      senderId: users[0]!.id,
      appId: null,
      type: 'text' as const,
      body,
      attachments: [],
      clientMsgId: randomUUID(),
    });
    // Written in one turn of the event loop, so they share a batch; PostgreSQL refuses NUL in text.
    const outcomes = await Promise.allSettled(
      Array.from({ length: 21 }, (_, i) => writer.write(draft(i === 10 ? 'bad \u0000 byte' : `good ${i}`))),
    );
    const refused = outcomes.filter((o) => o.status === 'rejected');
    expect(refused).toHaveLength(1);
    expect((refused[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(outcomes.indexOf(refused[0]!)).toBe(10);
    const stored = await history(t, users[1]!, conversationId);
    expect(seqsOf(stored)).toEqual(oneTo(20));
    expect(stored.map((m) => m.body)).toEqual(
      oneTo(21)
        .filter((i) => i !== 11)
        .map((i) => `good ${i - 1}`),
    );

    // The same through the socket: the bad send gets a VALIDATION_FAILED ack, the others are stored.
    const s = await open(t, users[0]!.accessToken);
    const acks = await Promise.all(
      Array.from({ length: 11 }, (_, i) =>
        call<Msg>(s, 'message:send', {
          conversationId,
          body: i === 5 ? '\u0000' : `more ${i}`,
          clientMsgId: randomUUID(),
        }),
      ),
    );
    expect(acks.filter((a) => !a.ok).map((a) => (a as { error: { code: string } }).error.code)).toEqual([
      'VALIDATION_FAILED',
    ]);
    expect(seqsOf(await history(t, users[1]!, conversationId))).toEqual(oneTo(30));
  });

  it('refuses the excess of an overload at once with SERVICE_UNAVAILABLE and retryAfterMs; what it accepts is stored', async () => {
    const t = await app({ SEND_QUEUE_LIMIT: '40', SEND_QUEUE_MAX_WAIT_MS: '30000' });
    const { users, conversationId } = await groupOf(t, 10);
    const senders = await Promise.all(users.map((u) => open(t, u.accessToken)));
    const heapBefore = process.memoryUsage().heapUsed;
    const acks: Ack<Msg>[] = (
      await Promise.all(
        senders.map((s, i) =>
          Promise.all(
            Array.from({ length: 100 }, (_, k) =>
              call<Msg>(
                s,
                'message:send',
                { conversationId, body: `o${i}-${k}`, clientMsgId: randomUUID() },
                60_000,
              ),
            ),
          ),
        ),
      )
    ).flat();
    const refused = acks.filter((a) => !a.ok) as { ok: false; error: { code: string; details?: unknown } }[];
    const accepted = acks.filter((a) => a.ok) as { ok: true; data: Msg }[];
    expect(refused.length).toBeGreaterThan(0);
    expect(accepted.length).toBeGreaterThan(0);
    for (const r of refused) {
      expect(r.error.code).toBe('SERVICE_UNAVAILABLE');
      expect((r.error.details as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(0);
    }
    // Accepted sends are stored, once each, gapless; refused ones took no seq.
    const stored = await history(t, users[0]!, conversationId);
    expect(seqsOf(stored)).toEqual(oneTo(accepted.length));
    expect(new Set(stored.map((m) => m.id))).toEqual(new Set(accepted.map((a) => a.data.id)));
    // Memory stays bounded: 1000 refused or stored sends leave no backlog behind.
    expect(t.app.get(MessageWriter).pending).toBe(0);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(200 * 1024 * 1024);

    // REST sees the same refusal as 503 with Retry-After while the queue is full.
    const flood = senders.flatMap((s, i) =>
      Array.from({ length: 20 }, (_, k) =>
        call(s, 'message:send', { conversationId, body: `f${i}-${k}`, clientMsgId: randomUUID() }, 60_000),
      ),
    );
    const rest = await t.http
      .post('/api/v1/messages')
      .set(...bearer(users[0]!))
      .send({ conversationId, body: 'rest', clientMsgId: randomUUID() });
    await Promise.all(flood);
    expect([201, 503]).toContain(rest.status);
    if (rest.status === 503) {
      expect(rest.body).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
      expect(rest.headers['retry-after']).toBeDefined();
    }
  });

  it('an ack means committed: kill -9 in the middle of batches loses no acked message and stores none twice', async () => {
    let server = await startServerProcess();
    apps.push(server);
    const { users, conversationId } = await groupOf(server, 5);
    const senders = await Promise.all(users.map((u) => connect(server, u.accessToken)));
    const acked = new Map<string, Msg>();
    const sent: { user: TestUser; clientMsgId: string; body: string }[] = [];
    let stop = false;
    const lanes = senders.flatMap((s, i) =>
      [0, 1, 2, 3].map(async (lane) => {
        for (let k = 0; !stop; k++) {
          const item = { user: users[i]!, clientMsgId: randomUUID(), body: `k${i}-${lane}-${k}` };
          sent.push(item);
          const payload = { conversationId, clientMsgId: item.clientMsgId, body: item.body };
          const ack = await call<Msg>(s, 'message:send', payload, 5000).catch(() => null);
          if (ack?.ok) acked.set(item.clientMsgId, ack.data);
          else if (ack) throw new Error(JSON.stringify(ack.error));
          else return; // The server is gone.
        }
      }),
    );
    for (let i = 0; acked.size < 200; i++) {
      if (i > 3000) throw new Error(`only ${acked.size} of ${sent.length} sends acknowledged`);
      await new Promise((r) => setTimeout(r, 10));
    }
    server.process.kill('SIGKILL');
    stop = true;
    await server.exited;
    await Promise.all(lanes);
    senders.forEach((s) => s.close());

    server = await startServerProcess();
    apps.push(server);
    const stored = await history(server, users[0]!, conversationId);
    // Gapless, each acked message exactly once and as acked.
    expect(seqsOf(stored)).toEqual(oneTo(stored.length));
    const byClientMsgId = new Map(stored.map((m) => [m.clientMsgId, m]));
    expect(byClientMsgId.size).toBe(stored.length);
    for (const [clientMsgId, m] of acked)
      expect(byClientMsgId.get(clientMsgId)).toMatchObject({ id: m.id, seq: m.seq });
    // Clients retry what they never heard back about: nothing is stored twice.
    const again = await open(server, users[0]!.accessToken);
    const unanswered = sent.filter((x) => !acked.has(x.clientMsgId)).slice(0, 50);
    for (const x of unanswered) {
      const retry = await call<Msg>(
        x.user === users[0] ? again : await open(server, x.user.accessToken),
        'message:send',
        { conversationId, clientMsgId: x.clientMsgId, body: x.body },
      );
      expect(retry.ok).toBe(true);
    }
    const after = await history(server, users[0]!, conversationId);
    expect(seqsOf(after)).toEqual(oneTo(after.length));
    expect(new Set(after.map((m) => m.clientMsgId)).size).toBe(after.length);
  }, 120_000);
});
