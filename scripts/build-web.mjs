// Builds the pages Relay serves: the demo web client (Vite, on the SDK) into dist/web/demo, and the
// socket contract's page (AsyncAPI's standalone renderer) into dist/web/events.
import { cp, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { build } from 'vite';

const root = new URL('..', import.meta.url).pathname;
const require = createRequire(import.meta.url);

await build({
  root: join(root, 'web/demo'),
  base: '/demo/',
  logLevel: 'warn',
  build: { outDir: join(root, 'dist/web/demo'), emptyOutDir: true, target: 'es2022' },
});

const events = join(root, 'dist/web/events');
const renderer = dirname(require.resolve('@asyncapi/react-component/package.json'));
await mkdir(events, { recursive: true });
await cp(join(root, 'web/events'), events, { recursive: true });
await cp(join(renderer, 'browser/standalone/index.js'), join(events, 'asyncapi.js'));
await cp(join(renderer, 'styles/default.min.css'), join(events, 'asyncapi.css'));
