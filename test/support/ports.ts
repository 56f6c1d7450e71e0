import { createServer } from 'node:net';

/** A TCP port nothing listens on right now, on 127.0.0.1. */
export const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
