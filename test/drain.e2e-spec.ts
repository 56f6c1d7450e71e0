import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { releaseTestDatabase, testDatabase } from './support/app.js';
import { bearer, createGroup, registerUser } from './support/factories.js';
import { startServerProcess, type ServerProcess } from './support/server-process.js';
import { call, connect, waitFor } from './support/sockets.js';

/**
 * Graceful drain of a real server process: SIGTERM makes readiness fail and refuses what is new
 * at once, lets the sends it took finish and be acked, tells clients `server:shutdown`, and ends
 * the process within SHUTDOWN_TIMEOUT_MS. A send is held in flight by a transaction of the test's
 * own holding the conversation's lock (so PostgreSQL is needed).
 */
const withPostgres = process.env.DATABASE_URL ? describe : describe.skip;

withPostgres('graceful drain', () => {
  let node: ServerProcess | null = null;
  let holder: pg.Client | null = null;
  afterEach(async () => {
    await holder?.end().catch(() => undefined);
    holder = null;
    await node?.close();
    node = null;
  });
  afterAll(async () => {
    await releaseTestDatabase();
  });

  /** A node with a group of two connected users, and a send of the first held up by a lock. */
  async function heldSend(env: Record<string, string>) {
    node = await startServerProcess({ LOG_LEVEL: 'info', ...env }, { captureOutput: true });
    const [a, b] = await Promise.all([registerUser(node), registerUser(node)]);
    const room = (await createGroup(node, a, [b])).conversationId;
    const [sa, sb] = await Promise.all([connect(node, a.accessToken), connect(node, b.accessToken)]);
    holder = new pg.Client({ connectionString: (await testDatabase()).url });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query('SELECT id FROM conversations WHERE id = $1 FOR UPDATE', [room]);
    const inFlight = call<{ seq: number }>(sa, 'message:send', {
      conversationId: room,
      body: 'in flight',
      clientMsgId: randomUUID(),
    });
    await new Promise((r) => setTimeout(r, 300));
    return { a, room, sa, sb, inFlight };
  }

  it('on SIGTERM: not ready and nothing new admitted at once; the send in flight is stored and acked; then server:shutdown and exit 0, logged', async () => {
    const { a, room, sa, sb, inFlight } = await heldSend({ SHUTDOWN_TIMEOUT_MS: '10000' });
    const told = waitFor<{ reconnect: boolean; retryAfterMs: number }>(sb, 'server:shutdown');
    const n = node!;
    n.process.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));

    const ready = await n.http.get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ status: 'unavailable', draining: true });
    const rest = await n.http.get('/api/v1/conversations').set(...bearer(a));
    expect(rest.status).toBe(503);
    expect(rest.body).toMatchObject({ code: 'SERVICE_UNAVAILABLE', details: { retryAfterMs: 1000 } });
    await expect(connect(n, a.accessToken)).rejects.toThrow('SERVICE_UNAVAILABLE');
    const late = await call(sa, 'message:send', {
      conversationId: room,
      body: 'late',
      clientMsgId: randomUUID(),
    });
    expect(late).toMatchObject({ ok: false, error: { code: 'SERVICE_UNAVAILABLE' } });

    await holder!.query('ROLLBACK');
    expect(await inFlight).toMatchObject({ ok: true, data: { seq: 1, body: 'in flight' } });
    expect(await told).toEqual({ reconnect: true, retryAfterMs: expect.any(Number) });
    expect(await n.exited).toBe(0);
    const stored = await holder!.query('SELECT body FROM messages WHERE conversation_id = $1', [room]);
    expect(stored.rows).toEqual([{ body: 'in flight' }]);
    const said = n.output.join('\n');
    expect(said).toContain('Draining');
    expect(said).toContain('Stopped');
  }, 60_000);

  it('ends within SHUTDOWN_TIMEOUT_MS when what is in flight never finishes, and says so', async () => {
    const { inFlight } = await heldSend({ SHUTDOWN_TIMEOUT_MS: '2000' });
    const n = node!;
    const started = Date.now();
    n.process.kill('SIGTERM');
    // Never acked: its client retries it elsewhere with the same clientMsgId.
    await expect(inFlight).rejects.toThrow('disconnected');
    expect(await n.exited).toBe(1);
    expect(Date.now() - started).toBeLessThan(2000 + 1500);
    expect(n.output.join('\n')).toContain('Shutdown timed out');
  }, 60_000);
});
