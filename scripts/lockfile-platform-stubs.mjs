#!/usr/bin/env node
/**
 * Some registries (mirrors) hold only some of the per-platform binary packages that tools such as
 * @swc/core and unrs-resolver list as optional dependencies. `npm install` then leaves those
 * packages out of package-lock.json and `npm ci` refuses the lockfile. This adds a lock entry with
 * the os/cpu/libc each package name declares, so `npm ci` on another platform skips it as usual.
 * Run after `npm install` changes the lockfile: `node scripts/lockfile-platform-stubs.mjs`.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const PLATFORM =
  /-(darwin|linux|win32|android|freebsd|openharmony)-(arm64|x64|arm|ia32|ppc64|s390x|riscv64|loong64)(?:-(gnu|musl|gnueabihf|musleabihf|msvc|eabi))?$/;

const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
let added = 0;
for (const [path, entry] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const target = `node_modules/${name}`;
    if (lock.packages[target] || lock.packages[`${path}/${target}`]) continue;
    const m = PLATFORM.exec(name);
    if (!m) continue;
    const [, os, cpu, abi] = m;
    lock.packages[target] = {
      version,
      cpu: [cpu],
      os: [os],
      ...(abi?.startsWith('gnu') ? { libc: ['glibc'] } : abi?.startsWith('musl') ? { libc: ['musl'] } : {}),
      ...(entry.dev ? { dev: true } : {}),
      optional: true,
    };
    added++;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
);
writeFileSync('package-lock.json', `${JSON.stringify(lock, null, 2)}\n`);
console.log(`added ${added} platform package entries`);
