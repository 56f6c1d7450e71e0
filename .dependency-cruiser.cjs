/**
 * The import table of docs/ARCHITECTURE.md, checked by `npm run lint`: a module imports only the
 * modules listed for it (type-only imports included), and no file imports itself through others.
 */
const MAY_IMPORT = {
  common: [],
  realtime: ['common'],
  users: ['common', 'database'],
  auth: ['users', 'common', 'database'],
  connections: ['auth', 'users', 'realtime', 'common'],
  messaging: ['connections', 'auth', 'users', 'realtime', 'common', 'database'],
  orgs: ['messaging', 'users', 'common', 'database'],
  groups: ['messaging', 'orgs', 'users', 'realtime', 'common', 'database'],
  apps: ['connections', 'messaging', 'groups', 'orgs', 'users', 'auth', 'common', 'database'],
  notifications: ['connections', 'messaging', 'apps', 'auth', 'users', 'common', 'database'],
  updates: ['connections', 'realtime', 'common', 'database'],
  provisioning: ['auth', 'users', 'groups', 'orgs', 'common'],
  admin: ['auth', 'users', 'connections', 'messaging', 'orgs', 'common'],
  health: ['common'],
  metrics: ['connections', 'messaging', 'notifications', 'common'],
};
const MODULES = [...Object.keys(MAY_IMPORT), 'database', 'contract'];
const others = (mod, allowed) => MODULES.filter((m) => m !== mod && !allowed.includes(m)).join('|');

module.exports = {
  forbidden: [
    ...Object.entries(MAY_IMPORT).map(([mod, allowed]) => ({
      name: `${mod}-imports`,
      comment: `${mod} may import ${allowed.join(', ') || 'nothing outside itself'} (docs/ARCHITECTURE.md)`,
      severity: 'error',
      from: { path: `^src/${mod}/` },
      to: { path: `^src/(${others(mod, allowed)})/` },
    })),
    {
      name: 'database-imports',
      comment: 'database registers the entity classes of every module, and imports nothing else of them',
      severity: 'error',
      from: { path: '^src/database/' },
      to: { path: `^src/(${others('database', ['common'])})/`, pathNot: '\\.entity\\.ts$' },
    },
    {
      name: 'contract-imports',
      comment: 'contract reads the socket-event tables and DTO classes of the modules, never their services',
      severity: 'error',
      from: { path: '^src/contract/' },
      to: {
        path: `^src/(${others('contract', ['common', 'realtime'])})/`,
        pathNot: '(/dto/[^/]+|\\.socket-events)\\.ts$',
      },
    },
    {
      name: 'no-circular',
      comment: 'a file that imports itself through others',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '\\.spec\\.ts$' },
  },
};
