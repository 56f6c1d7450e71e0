import { Logger } from '@nestjs/common';
import { type OnGatewayConnection, WebSocketGateway } from '@nestjs/websockets';
import { AppError } from '../common/errors/app-error.js';
import { ack } from '../common/socket-ack.js';
import { checkInputShape } from '../common/validation/input-shape.js';
import type { ClientEventSpec, RelaySocket, ResultOf } from './server-events.js';

/** Handles one client event: validates the payload itself and returns what the ack carries. */
export type SocketHandler<R> = (socket: RelaySocket, payload: unknown) => Promise<R>;

/** One handler for each event of a module's table, answering what that event's ack carries. */
export type SocketHandlers<T extends Record<string, ClientEventSpec>> = {
  [E in keyof T]: SocketHandler<ResultOf<T[E]>>;
};

/**
 * Client events to their handlers, bound on every socket as it connects. A handler's result
 * becomes the ack `{ok: true, data}`, its error `{ok: false, error}`. Events go straight from
 * Socket.IO to the handler, without a per-event framework pipeline (guards, pipes and
 * interceptors that socket handlers do not use cost more than the send itself). Every payload is
 * first checked for nesting and control characters; an event nobody handles is answered
 * VALIDATION_FAILED when the client asked for an ack.
 */
@WebSocketGateway()
export class SocketRouter implements OnGatewayConnection<RelaySocket> {
  private readonly logger = new Logger('SocketEvents');
  private readonly handlers = new Map<string, (socket: RelaySocket, payload: unknown) => Promise<unknown>>();
  private readonly expensive = new Set<string>();

  /**
   * Registers a module's client events (its `*.socket-events.ts` table) with a handler for each,
   * which must answer what the table says its ack carries. An event has exactly one handler.
   */
  register<T extends Record<string, ClientEventSpec>>(table: T, handlers: SocketHandlers<T>): void {
    for (const event of Object.keys(table)) {
      if (this.handlers.has(event)) throw new Error(`Socket event ${event} has two handlers`);
      const spec: ClientEventSpec = table[event]!;
      const handler: SocketHandler<unknown> = handlers[event]!;
      this.handlers.set(event, handler);
      if (spec.expensive) this.expensive.add(event);
    }
  }

  /** A read that may return much (like `sync`): it counts against its own budget. */
  isExpensive(event: string): boolean {
    return this.expensive.has(event);
  }

  /** Every client event with a handler (the socket contract, for documents and tests). */
  events(): string[] {
    return [...this.handlers.keys()];
  }

  handleConnection(socket: RelaySocket): void {
    for (const [event, handler] of this.handlers) {
      socket.on(event, (...args: unknown[]) => {
        const reply = typeof args.at(-1) === 'function' ? (args.pop() as (answer: unknown) => void) : null;
        void ack(this.logger, () => {
          // Depth and control characters, before the handler does any per-field work.
          checkInputShape(args[0]);
          return handler(socket, args[0]);
        }).then((answer) => reply?.(answer));
      });
    }
    socket.onAny((event: unknown, ...args: unknown[]) => {
      if (typeof event === 'string' && this.handlers.has(event)) return;
      const reply = args.at(-1);
      if (typeof reply !== 'function') return;
      const name = typeof event === 'string' ? event.slice(0, 64) : typeof event;
      (reply as (answer: unknown) => void)({
        ok: false,
        error: AppError.validation(`Unknown event: ${name}`).toBody(),
      });
    });
  }
}
