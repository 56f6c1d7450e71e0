import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import semver from 'semver';

interface LockedPackage {
  version?: string;
  engines?: { node?: string } | string[];
}

const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as {
  packages: Record<string, LockedPackage>;
};

describe('engines', () => {
  it('every locked dependency runs on every Node version package.json promises', () => {
    const promised = manifest.engines.node;
    const refused = Object.entries(lock.packages)
      .filter(([path, pkg]) => path !== '' && !Array.isArray(pkg.engines) && pkg.engines?.node)
      .filter(([, pkg]) => {
        const required = (pkg.engines as { node: string }).node;
        return semver.validRange(required) !== null && !semver.subset(promised, required);
      })
      .map(([path, pkg]) => `${path}@${pkg.version} wants node ${(pkg.engines as { node: string }).node}`);
    expect(refused).toEqual([]);
  });

  it('the Node running the tests is one package.json promises', () => {
    expect(semver.satisfies(process.version, manifest.engines.node)).toBe(true);
  });
});
