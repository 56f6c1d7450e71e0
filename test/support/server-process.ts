import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ResponseContract } from './openapi-responses.js';
import { baseEnv, type Env, type TestApp } from './app.js';
import { freePort } from './ports.js';

const ROOT = join(import.meta.dirname, '..', '..');
/** Inside node_modules so that the compiled server resolves the project's packages and package.json. */
const OUT_DIR = join(ROOT, 'node_modules', '.cache', `relay-test-server-${process.pid}`);

let built: Promise<void> | null = null;

/** Compiles the server once per test process (a real process needs JavaScript on disk). */
function build(): Promise<void> {
  if (!built) process.once('exit', () => rmSync(OUT_DIR, { recursive: true, force: true }));
  built ??= promisify(execFile)(
    process.execPath,
    [
      join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      'tsconfig.build.json',
      '--outDir',
      OUT_DIR,
    ],
    { cwd: ROOT },
  ).then(() => undefined);
  return built;
}

export interface ServerProcess extends Omit<TestApp, 'app' | 'config'> {
  process: ChildProcess;
  /** What it printed on stdout (its log lines), when started with `captureOutput`. */
  output: string[];
  /** Resolves with the exit code (or signal) once the process is gone. */
  exited: Promise<number | string>;
}

/**
 * The real server as a process of its own, on the test file's database: for what only a process
 * can show (kill -9, a restart from the same database).
 */
export async function startServerProcess(
  overrides: Env = {},
  options: { captureOutput?: boolean } = {},
): Promise<ServerProcess> {
  await build();
  const port = await freePort();
  const env = { ...(await baseEnv()), ...overrides, PORT: String(port), HOST: '127.0.0.1' };
  const child = spawn(process.execPath, [join(OUT_DIR, 'main.js')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', options.captureOutput ? 'pipe' : 'ignore', 'inherit'],
  });
  const output: string[] = [];
  child.stdout
    ?.setEncoding('utf8')
    .on('data', (chunk: string) => output.push(...chunk.split('\n').filter(Boolean)));
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    const ready = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (i > 300) throw new Error('server did not become ready');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    http: (await ResponseContract.of(url)).agent(url),
    process: child,
    output,
    exited,
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
