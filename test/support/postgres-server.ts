import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports.js';

const run = promisify(execFile);

/** The newest PostgreSQL server binaries the distribution installed (/usr/lib/postgresql/<version>/bin). */
function binDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions[0]) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql');
  return join(root, versions[0], 'bin');
}

/**
 * A PostgreSQL cluster of the test's own (the machine's server binaries, a data directory under
 * /tmp named relay-pg-*), so that a test can crash and restart it without touching the server
 * other test files share. PostgreSQL refuses to run as root: as root, it runs as `postgres`.
 */
export class PrivatePostgres {
  private readonly bin = binDir();

  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(): Promise<PrivatePostgres> {
    const dir = mkdtempSync('/tmp/relay-pg-');
    const pg = new PrivatePostgres(await freePort(), dir);
    if (userInfo().uid === 0) {
      const { stdout } = await run('id', ['-u', 'postgres']);
      const { stdout: gid } = await run('id', ['-g', 'postgres']);
      chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
    }
    // Should the test process end without its afterAll, the cluster goes with it.
    process.once('exit', () => pg.destroySync());
    await pg.pg('initdb', [
      '-D',
      join(dir, 'data'),
      '-U',
      'postgres',
      '--auth=trust',
      '-E',
      'UTF8',
      '--no-sync',
    ]);
    await pg.up();
    return pg;
  }

  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** Starts it (again, on the same port and data) and waits until it accepts connections. */
  async up(): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c max_connections=200`;
    await this.pg('pg_ctl', [
      '-D',
      join(this.dir, 'data'),
      '-l',
      join(this.dir, 'log'),
      '-o',
      options,
      '-w',
      'start',
    ]);
  }

  /**
   * Stops it as a crash would (immediate mode: every backend killed, no checkpoint), so that the
   * next start recovers from the write-ahead log.
   */
  async crash(): Promise<void> {
    await this.pg('pg_ctl', ['-D', join(this.dir, 'data'), '-m', 'immediate', '-w', 'stop']);
  }

  /** Stops it and deletes its data. */
  async destroy(): Promise<void> {
    await this.crash().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private destroySync(): void {
    if (!existsSync(this.dir)) return;
    try {
      execFileSync(...this.command('pg_ctl', ['-D', join(this.dir, 'data'), '-m', 'immediate', 'stop']), {
        cwd: '/tmp',
        stdio: 'ignore',
      });
    } catch {
      // Not running.
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async pg(program: string, args: string[]): Promise<void> {
    await run(...this.command(program, args), { cwd: '/tmp' });
  }

  private command(program: string, args: string[]): [string, string[]] {
    const path = join(this.bin, program);
    return userInfo().uid === 0 ? ['runuser', ['-u', 'postgres', '--', path, ...args]] : [path, args];
  }
}
