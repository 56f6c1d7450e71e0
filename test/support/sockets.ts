import { afterEach } from '@jest/globals';
import { io, type Socket } from 'socket.io-client';
import type { TestApp } from './app.js';
import { SocketContract } from './socket-contract.js';

/** Server events that broke the socket contract; the test in which one arrived fails. */
const contractViolations: string[] = [];
afterEach(() => {
  const found = contractViolations.splice(0);
  if (found.length > 0) throw new Error(`AsyncAPI: ${[...new Set(found)].join('\n')}`);
});
const contractOf = new WeakMap<Socket, SocketContract>();

export type Ack<T = unknown> =
  { ok: true; data: T } | { ok: false; error: { code: string; message: string; details?: unknown } };

export interface ConnectOptions {
  origin?: string;
  auth?: Record<string, unknown>;
}

/**
 * A real socket.io-client connection; resolves once connected, rejects with the connect_error
 * message. Every event it receives and every ack is checked against the server's AsyncAPI document.
 */
export async function connect(
  t: Pick<TestApp, 'url'>,
  token: string | null,
  options: ConnectOptions = {},
): Promise<Socket> {
  const contract = await SocketContract.of(t.url);
  const socket = io(t.url, {
    path: '/socket.io',
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    auth: options.auth ?? (token === null ? {} : { token }),
    extraHeaders: options.origin ? { Origin: options.origin } : {},
  });
  contractOf.set(socket, contract);
  socket.onAny((event: string, payload: unknown) => {
    const violation = contract.serverEvent(event, payload);
    if (violation) contractViolations.push(violation);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error('connect timeout'));
    }, 10_000);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('connect_error', (err) => {
      clearTimeout(timer);
      socket.close();
      reject(err);
    });
  });
}

/** Emits with an ack and waits for it. */
export async function call<T = unknown>(
  socket: Socket,
  event: string,
  payload?: unknown,
  timeoutMs = 10_000,
): Promise<Ack<T>> {
  const answer = (await socket.timeout(timeoutMs).emitWithAck(event, payload)) as Ack<T>;
  const violation = contractOf.get(socket)?.ack(event, answer);
  if (violation) throw new Error(`AsyncAPI: ${violation}`);
  return answer;
}

/** Records every occurrence of an event on a socket. */
export function record<T = unknown>(socket: Socket, event: string): T[] {
  const seen: T[] = [];
  socket.on(event, (payload: T) => seen.push(payload));
  return seen;
}

/** Waits for the first event matching `match`. */
export function waitFor<T = unknown>(
  socket: Socket,
  event: string,
  match: (p: T) => boolean = () => true,
  timeoutMs = 5000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, handler);
      reject(new Error(`timed out waiting for ${event}`));
    }, timeoutMs);
    const handler = (payload: T) => {
      if (!match(payload)) return;
      clearTimeout(timer);
      socket.off(event, handler);
      resolve(payload);
    };
    socket.on(event, handler);
  });
}

/** Polls until `condition` holds (for counts of recorded events). */
export async function until(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  const start = Date.now();
  while (!(await condition())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Gives in-flight deliveries time to arrive before asserting that something did NOT arrive. */
export const settle = (ms = 300): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Sockets a test file opens, each closed after the test that opened it. */
export function socketPool(): {
  open(t: Pick<TestApp, 'url'>, token: string | null, options?: ConnectOptions): Promise<Socket>;
  track(socket: Socket): Socket;
} {
  const open: Socket[] = [];
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
  });
  return {
    async open(t, token, options) {
      const s = await connect(t, token, options);
      open.push(s);
      return s;
    },
    track(socket) {
      open.push(socket);
      return socket;
    },
  };
}
