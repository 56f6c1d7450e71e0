#!/usr/bin/env node
/**
 * Relay beside a bare Socket.IO relay, in one run, under the same load generator.
 *
 *   npm run bench                      # every scenario, both servers (about 10 minutes)
 *   npm run bench -- --quick           # every scenario, small and short (under 2 minutes)
 *   npm run bench -- --scenarios=direct,storm --runs=3
 *   DATABASE_URL=postgres://… REDIS_URL=redis://… npm run bench   # Relay on PostgreSQL and Redis
 *   DATABASE_URL=… REDIS_URL=… WORKERS=2 npm run bench             # Relay as two worker processes
 *
 * For each server it starts the server (Relay: the built dist/main.js on embedded PGlite, or on a
 * scratch database of DATABASE_URL's server, dropped afterwards), forks bench/load.mjs as the
 * load generator, and reads the server's CPU time and RSS from /proc at the edges of every step
 * (with PostgreSQL and Redis, their processes' CPU is reported beside the server's). It prints a
 * progress line per step, a table at the end, and writes bench/results/<time>.json and .svg.
 */
import { fork, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { chart } from './chart.mjs';
import { table } from './table.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = new Map(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k, v ?? 'true'];
  }),
);
const quick = args.has('quick');
const runs = Number(args.get('runs') ?? 1);
const targets = (args.get('targets') ?? 'bare,relay').split(',');

const PARAMS = quick
  ? {
      direct: { clients: 50, rates: [500, 2000, 4000], stepMs: 2000 },
      hot: { senders: 20, rates: [250, 1000], stepMs: 2000 },
      fanout: { members: 50, rates: [100, 400], stepMs: 2000 },
      idle: { users: 30, sockets: 300 },
      storm: { users: 30, clients: 200, missed: 10 },
      read: { clients: 10, history: 200, stepMs: 1500 },
      offline: { members: 100, groups: 2, rates: [50, 200], stepMs: 3000 },
    }
  : {
      direct: {
        clients: 200,
        rates: [500, 1000, 2000, 3000, 4000, 6000, 8000, 12000, 16000, 20000, 24000, 28000, 32000],
        stepMs: 10_000,
      },
      hot: { senders: 50, rates: [100, 250, 500, 1000, 2000, 3000, 4000, 5000, 6000], stepMs: 5000 },
      fanout: { members: 100, rates: [50, 100, 200, 300, 400, 600, 800, 1000, 1500], stepMs: 5000 },
      idle: { users: 1000, sockets: 10_000 },
      storm: { users: 200, clients: 2000, missed: 20 },
      read: { clients: 20, history: 2000, stepMs: 5000 },
      offline: { members: 200, groups: 5, rates: [50, 100, 200, 400, 800], stepMs: 10_000 },
    };
const scenarios = (args.get('scenarios') ?? Object.keys(PARAMS).join(',')).split(',');
// Overrides for every chosen scenario, e.g. --rates=1000,2000 --stepMs=10000 --clients=100
for (const name of scenarios) {
  for (const [key, value] of args) {
    if (key in PARAMS[name])
      PARAMS[name][key] = key === 'rates' ? value.split(',').map(Number) : Number(value);
  }
}

const freePort = () =>
  new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const TICK_US = 1e6 / 100; // USER_HZ

/** The process and its children (the workers of WORKERS > 1). */
function family(pid) {
  const pids = [pid];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) pids.push(Number(name));
    } catch {
      // gone
    }
  }
  return pids;
}
/** utime + stime of a process and its children, in microseconds (`kernel`: stime only). */
function serverCpuUs(pid, kernel = false) {
  return family(pid).reduce((sum, p) => sum + cpuUs(p, kernel), 0);
}
function serverRssMb(pid) {
  return family(pid).reduce((sum, p) => sum + (rssMb(p) ?? 0), 0) || null;
}

/** utime + stime of a process, in microseconds (`kernel`: stime only); 0 once it is gone. */
function cpuUs(pid, kernel = false) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const [user, system] = [Number(fields[11]), Number(fields[12])];
    return (kernel ? system : user + system) * TICK_US;
  } catch {
    return 0;
  }
}
function rssMb(pid) {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}
/** The processes of the database and Redis servers on this machine (their CPU counts too). */
function backingPids() {
  const pids = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const comm = readFileSync(`/proc/${name}/comm`, 'utf8').trim();
      if (comm === 'postgres' || comm === 'redis-server') pids.push(Number(name));
    } catch {
      // gone
    }
  }
  return pids;
}

async function scratchDatabase() {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) return { url: undefined, drop: async () => {} };
  const name = `relay_bench_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** The Node flags `npm start` runs the server with, so that the benchmark measures the same process. */
function startFlags() {
  const { scripts } = JSON.parse(readFileSync(join(here, '..', 'package.json'), 'utf8'));
  return /node ((?:--\S+ )*)dist\/main\.js/.exec(scripts.start)?.[1].trim().split(' ').filter(Boolean) ?? [];
}

/**
 * The host system's end of Relay's notification webhook: Relay tells it of every notification
 * (what a product with offline members would have configured), so the benchmark pays for the
 * whole path, from the window to the delivery.
 */
async function startWebhookReceiver() {
  const receiver = { posts: 0, url: '' };
  const server = createHttpServer((req, res) => {
    req.resume();
    req.on('end', () => {
      receiver.posts++;
      res.writeHead(204).end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${server.address().port}/relay-notifications`;
  receiver.close = () => new Promise((resolve) => server.close(resolve));
  return receiver;
}
const webhook = await startWebhookReceiver();

/**
 * `relay-quiet` is Relay with a notification window of a day: offline members get one window
 * each at the first message, then none, so the offline scenario runs without notification work.
 */
const QUIET = { NOTIFY_DELAY_MS: String(86_400_000) };

async function startServer(kind) {
  const quiet = kind === 'relay-quiet';
  if (quiet) kind = 'relay';
  const port = await freePort();
  const extra = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const nodeArgs = kind === 'relay' ? [...startFlags(), ...extra] : extra;
  let cleanup = async () => {};
  let child;
  if (kind === 'bare') {
    child = spawn(process.execPath, [...nodeArgs, join(here, 'bare-relay.mjs')], {
      env: { PATH: process.env.PATH, PORT: String(port) },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  } else {
    const database = await scratchDatabase();
    const dataDir = mkdtempSync(join(tmpdir(), 'relay-bench-'));
    child = spawn(process.execPath, [...nodeArgs, 'dist/main.js'], {
      env: {
        PATH: process.env.PATH,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        NODE_ENV: 'production',
        JWT_SECRET: randomUUID() + randomUUID(),
        DM_POLICY: 'anyone',
        // Limits stay on (their cost is part of the path) but high enough not to refuse the load.
        RATE_LIMIT_MESSAGES_PER_SEC: '1000000',
        RATE_LIMIT_SOCKET_EVENTS_PER_10S: '10000000',
        RATE_LIMIT_SOCKET_READS_PER_10S: '10000000',
        MAX_SOCKETS_PER_USER: '10000',
        RATE_LIMIT_REGISTRATIONS_PER_MIN: '0',
        RATE_LIMIT_LOGINS_PER_IP_PER_MIN: '0',
        NOTIFICATION_WEBHOOK_URL: webhook.url,
        NOTIFICATION_WEBHOOK_SECRET: randomUUID(),
        ...(quiet ? QUIET : {}),
        ...(database.url ? { DATABASE_URL: database.url } : {}),
        ...(process.env.REDIS_URL
          ? { REDIS_URL: process.env.REDIS_URL, REDIS_PREFIX: `bench:${randomUUID()}:` }
          : {}),
        ...(process.env.WORKERS ? { WORKERS: process.env.WORKERS } : {}),
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    cleanup = async () => {
      rmSync(dataDir, { recursive: true, force: true });
      await database.drop();
    };
  }
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`${kind} server exited with ${child.exitCode}`);
    const ok = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (i > 600) throw new Error(`${kind} server did not become ready`);
    await sleep(100);
  }
  return {
    url,
    pid: child.pid,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      await cleanup();
    },
  };
}

function progress(kind, scenario, rate, step, cpu, rss) {
  const parts = [`[${kind} ${scenario}]`];
  if (step.offered !== undefined) {
    parts.push(
      `${step.offered}/s → ${step.achieved}/s`,
      `delivery p50/p99 ${step.deliveryMs.p50}/${step.deliveryMs.p99} ms`,
      `ack p99 ${step.ackMs.p99} ms`,
    );
    if (step.refused) parts.push(`refused ${step.refused}`);
    if (step.lost) parts.push(`lost ${step.lost}`);
    if (step.errors) parts.push(`errors ${step.errors} ${JSON.stringify(step.lastError)}`);
    if (step.timeouts) parts.push(`timeouts ${step.timeouts}`);
    parts.push(
      `cpu ${cpu.perMessageUs ?? '-'} µs/msg (kernel ${cpu.kernelPerMessageUs ?? '-'}${cpu.withDatabaseUs ? `, with database ${cpu.withDatabaseUs}` : ''})`,
      `rss ${rss} MB`,
      step.passed ? 'pass' : 'FAIL',
    );
  } else if (step.caughtUpMs !== undefined) {
    parts.push(`${rate} clients caught up in ${Math.round(step.caughtUpMs)} ms`);
  } else if (step.requestsPerSec !== undefined) {
    parts.push(`${step.requestsPerSec} syncs/s p99 ${step.latencyMs.p99} ms`);
  }
  process.stderr.write(`${parts.join('  ')}\n`);
}

/** One server under every scenario. */
async function measure(kind, scenarios) {
  const server = await startServer(kind);
  const generator = fork(join(here, 'load.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  // PostgreSQL forks a process per connection: look them up at every step.
  let backing = new Map();
  const backingSince = () => new Map(backingPids().map((pid) => [pid, cpuUs(pid)]));
  // A process that exited during the step (a closed connection) is left out rather than counted negative.
  const backingCpu = () => [...backing].reduce((sum, [pid, at]) => sum + Math.max(0, cpuUs(pid) - at), 0);
  const out = { kind, idleRssMb: null, scenarios: {} };
  try {
    const waitFor = (pred) =>
      new Promise((resolve, reject) => {
        const onMessage = (m) => {
          if (m.event === 'error') {
            generator.off('message', onMessage);
            reject(new Error(m.message));
          } else if (pred(m)) {
            generator.off('message', onMessage);
            resolve(m);
          }
        };
        generator.on('message', onMessage);
      });
    await waitFor((m) => m.event === 'hello');
    generator.send({ cmd: 'target', target: { kind, url: server.url } });
    await waitFor((m) => m.event === 'ok');
    await sleep(2000);
    out.idleRssMb = serverRssMb(server.pid);

    let edge = null;
    const marks = {};
    const measured = new Map();
    generator.on('message', (m) => {
      if (m.event === 'step-begin') {
        backing = kind !== 'bare' ? backingSince() : new Map();
        edge = {
          cpu: serverCpuUs(server.pid),
          kernel: serverCpuUs(server.pid, true),
          rss: serverRssMb(server.pid),
        };
      } else if (m.event === 'step-end') {
        const cpu = serverCpuUs(server.pid) - edge.cpu;
        const kernel = serverCpuUs(server.pid, true) - edge.kernel;
        const back = backingCpu();
        const messages = m.step.acked ?? 0;
        const cpuStats = {
          serverUs: Math.round(cpu),
          perMessageUs: messages ? Math.round(cpu / messages) : null,
          kernelPerMessageUs: messages ? Math.round(kernel / messages) : null,
          withDatabaseUs: messages && backing.size ? Math.round((cpu + back) / messages) : null,
        };
        const rss = serverRssMb(server.pid);
        measured.set(`${m.scenario}:${m.rate}`, { cpu: cpuStats, rssMb: rss });
        progress(kind, m.scenario, m.rate, m.step, cpuStats, rss);
      } else if (m.event === 'mark') {
        marks[m.name] = serverRssMb(server.pid);
      }
    });
    for (const scenario of scenarios) {
      const postsBefore = webhook.posts;
      generator.send({ cmd: 'run', scenario, params: PARAMS[scenario] });
      const { result } = await waitFor((m) => m.event === 'result' && m.scenario === scenario);
      for (const step of result.steps ?? []) Object.assign(step, measured.get(`${scenario}:${step.rate}`));
      if (!result.steps) Object.assign(result, measured.get(`${scenario}:${result.clients}`));
      if (kind !== 'bare') result.webhookPosts = webhook.posts - postsBefore;
      if (scenario === 'idle') {
        result.rssBeforeMb = marks['idle-before'];
        result.rssAfterMb = marks['idle-after'];
        result.kbPerSocket = Math.round(
          ((marks['idle-after'] - marks['idle-before']) * 1024) / result.sockets,
        );
        process.stderr.write(
          `[${kind} idle]  ${result.sockets} sockets: ${result.rssBeforeMb} → ${result.rssAfterMb} MB, ${result.kbPerSocket} KB per socket\n`,
        );
      }
      out.scenarios[scenario] = result;
    }
  } finally {
    generator.send({ cmd: 'exit' });
    await new Promise((r) => (generator.exitCode === null ? generator.once('exit', r) : r()));
    await server.stop();
  }
  return out;
}

const median = (xs) => {
  const s = xs.filter((x) => x !== null && x !== undefined).sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : null;
};

async function main() {
  if (targets.includes('relay')) {
    await new Promise((resolve, reject) =>
      spawn('npm', ['run', 'build', '--silent'], { stdio: 'inherit' }).once('exit', (code) =>
        code === 0 ? resolve() : reject(new Error('build failed')),
      ),
    );
  }
  const started = new Date();
  const all = [];
  for (let run = 1; run <= runs; run++) {
    const measured = {};
    for (const kind of targets) measured[kind] = await measure(kind, scenarios);
    // The offline scenario once more, on a Relay without notification work, for comparison.
    if (targets.includes('relay') && scenarios.includes('offline'))
      measured['relay-quiet'] = await measure('relay-quiet', ['offline']);
    all.push(measured);
  }
  const machine = {
    cpus: (await import('node:os')).cpus().length,
    cpuModel: (await import('node:os')).cpus()[0]?.model,
    memGiB: Math.round((await import('node:os')).totalmem() / 2 ** 30),
    node: process.version,
  };
  const report = {
    startedAt: started.toISOString(),
    quick,
    runs,
    database: process.env.DATABASE_URL ? 'postgresql' : 'pglite',
    redis: Boolean(process.env.REDIS_URL),
    machine,
    params: PARAMS,
    results: all,
  };
  report.summary = table(report, median);
  mkdirSync(join(here, 'results'), { recursive: true });
  const stamp = started.toISOString().replace(/[:.]/g, '-');
  const base = join(here, 'results', `${stamp}${quick ? '-quick' : ''}-${report.database}`);
  writeFileSync(`${base}.json`, JSON.stringify(report, null, 2));
  writeFileSync(`${base}.svg`, chart(report));
  process.stdout.write(`\n${report.summary}\nwritten: ${base}.json, ${base}.svg\n`);
  await webhook.close();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
