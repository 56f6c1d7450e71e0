import { setupMaster } from '@socket.io/sticky';
import cluster, { type Worker } from 'node:cluster';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { pino } from 'pino';
import type { AppConfig } from './common/config/app-config.js';

/** Where to tell people to open Relay (a wildcard listen address shown as localhost). */
export function publicBase(config: AppConfig): string {
  const host = config.host && config.host !== '0.0.0.0' && config.host !== '::' ? config.host : 'localhost';
  return `http://${host}:${config.port}`;
}

/** What a worker tells the primary once it serves. */
export const WORKER_READY = 'relay:worker-ready';

/**
 * WORKERS > 1: this (primary) process owns the port and hands each connection to a worker
 * process (@socket.io/sticky: a Socket.IO session's requests always reach the worker that holds
 * it, which long-polling needs; otherwise the least busy worker). Workers are full Relay nodes
 * sharing PostgreSQL and Redis (the Socket.IO Redis adapter, the bus, presence, limits). A worker
 * that dies is replaced; SIGTERM/SIGINT drains every worker, within SHUTDOWN_TIMEOUT_MS.
 */
export async function runPrimary(config: AppConfig, banner: (base: string) => string): Promise<void> {
  const log = pino({ level: config.logLevel, base: { pid: process.pid, role: 'primary' } });
  // Connection handles and their first bytes (Buffers) travel to workers over IPC.
  cluster.setupPrimary({ serialization: 'advanced' });
  const server = createServer();
  setupMaster(server, { loadBalancingMethod: 'least-connection' });

  let stopping = false;
  // A worker takes connections once it serves: until then it looks infinitely busy to the
  // least-connection balancing (a replacement boots while the others go on serving).
  const fork = (): Worker => Object.assign(cluster.fork(), { clientsCount: Number.MAX_SAFE_INTEGER });
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    log.error({ worker: worker.process.pid, code, signal }, 'Worker died; starting another');
    fork();
  });

  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    const started = Date.now();
    log.info({ signal, timeoutMs: config.shutdownTimeoutMs }, 'Draining');
    const deadline = setTimeout(() => {
      log.error({ afterMs: Date.now() - started }, 'Shutdown timed out; exiting');
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGKILL');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    deadline.unref();
    server.close();
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => Boolean(w));
    const exits = workers.map((w) => once(w, 'exit') as Promise<[number | null, string | null]>);
    for (const w of workers) w.process.kill('SIGTERM');
    const codes = await Promise.all(exits);
    // A worker still starting has no handler yet and ends by the signal itself: it held nothing.
    const clean = codes.every(([code, signal]) => code === 0 || signal === 'SIGTERM');
    log.info({ afterMs: Date.now() - started }, 'Stopped');
    process.exit(clean ? 0 : 1);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void stop(signal));

  const ready = new Promise<void>((resolve) => {
    let count = 0;
    cluster.on('message', (worker, message: { type?: string }) => {
      if (message?.type !== WORKER_READY) return;
      Object.assign(worker, { clientsCount: 0 });
      log.info({ worker: worker.process.pid }, 'Worker serving');
      if (++count === config.workers) resolve();
    });
  });
  for (let i = 0; i < config.workers; i++) fork();
  await ready;
  server.listen(config.port, config.host ?? '0.0.0.0');
  await once(server, 'listening');

  const base = publicBase(config);
  log.info({ workers: config.workers }, `Relay listening on ${base} with ${config.workers} workers`);
  console.log(banner(base));
}
