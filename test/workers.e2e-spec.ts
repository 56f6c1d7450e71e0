import { afterAll, describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { Socket } from 'socket.io-client';
import { releaseTestDatabase } from './support/app.js';
import { befriend, bearer, createGroup, registerUser } from './support/factories.js';
import { startServerProcess, type ServerProcess } from './support/server-process.js';
import { connect, record, until } from './support/sockets.js';

/** The processes whose parent is `pid` (its workers), from /proc. */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces, so read after its ')'.
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/**
 * WORKERS=2: two processes on one port behind the primary, sharing PostgreSQL and Redis as nodes
 * do. Runs where both are (as in CI).
 */
const withServers = process.env.DATABASE_URL && process.env.REDIS_URL ? describe : describe.skip;

/** A connection; when it fails, which one it was and what the processes printed last go with the error. */
async function connectOrTell(node: ServerProcess, token: string, which: string): Promise<Socket> {
  try {
    return await connect(node, token);
  } catch (error) {
    const tail = node.output.slice(-15).join('\n');
    throw new Error(`${which}: ${String(error)}; the server's last lines:\n${tail}`, { cause: error });
  }
}

withServers('WORKERS=2 on one port', () => {
  let node: ServerProcess | null = null;
  const sockets: Socket[] = [];
  afterAll(async () => {
    for (const s of sockets) s.close();
    await node?.close();
    await releaseTestDatabase();
  });

  it('users on different workers exchange messages and see each other online; a worker that dies is replaced', async () => {
    node = await startServerProcess(
      {
        WORKERS: '2',
        REDIS_PREFIX: `relay-workers:${randomUUID()}:`,
        LOG_LEVEL: 'info',
        DEBUG: process.env.SERVER_DEBUG,
      },
      { captureOutput: true },
    );
    const workers = childrenOf(node.process.pid!);
    expect(workers).toHaveLength(2);

    const users = await Promise.all(Array.from({ length: 6 }, () => registerUser(node!)));
    const [a, b] = users as [(typeof users)[0], (typeof users)[0]];
    await befriend(node, a, b);
    const group = await createGroup(node, a, users.slice(1));
    const conns: Socket[] = [];
    for (const u of users) conns.push(await connectOrTell(node, u.accessToken, 'a first connection')); // least-connection: spread
    sockets.push(...conns);
    const seen = conns.map((s) => record<{ body: string }>(s, 'message:new'));
    await Promise.all(
      conns.map((s, i) =>
        s.timeout(5000).emitWithAck('message:send', {
          conversationId: group.conversationId,
          body: `from ${i}`,
          clientMsgId: randomUUID(),
        }),
      ),
    );
    await until(() => seen.every((s) => s.length === 5), 10_000, 'every message on every worker');

    // Presence is shared: each sees the other online, whichever worker holds them.
    const online = await node.http
      .get('/api/v1/connections')
      .set(...bearer(a))
      .expect(200);
    expect(online.body.items).toEqual([expect.objectContaining({ userId: b.id, online: true })]);

    // Kill one worker: the sockets it held drop, the others stay (so both held some), and the
    // primary starts another in its place.
    process.kill(workers[0]!, 'SIGKILL');
    await until(() => conns.some((s) => !s.connected), 10_000, 'the dead worker’s sockets to drop');
    await new Promise((r) => setTimeout(r, 300));
    const lost = conns.filter((s) => !s.connected).length;
    expect(lost).toBeGreaterThan(0);
    expect(lost).toBeLessThan(conns.length);
    await until(
      () => node!.output.filter((l) => l.includes('Worker serving')).length === 3,
      30_000,
      'a replacement worker serving',
    );
    expect(childrenOf(node.process.pid!)).toHaveLength(2);
    await until(
      async () => (await node!.http.get('/readyz').timeout(3000)).status === 200,
      30_000,
      'readiness',
    );
    const again = await connectOrTell(node, users[5]!.accessToken, 'the connection after the replacement');
    sockets.push(again);
    const ack = await again.timeout(5000).emitWithAck('message:send', {
      conversationId: group.conversationId,
      body: 'after the replacement',
      clientMsgId: randomUUID(),
    });
    expect(ack).toMatchObject({ ok: true });

    node.process.kill('SIGTERM');
    const code = await node.exited;
    if (code !== 0)
      console.log(
        node.output
          .filter((l) => !l.includes('"req"'))
          .slice(-30)
          .join('\n'),
      );
    expect(code).toBe(0);
  }, 120_000);
});
