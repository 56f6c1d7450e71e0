import { Logger } from '@nestjs/common';
import { type OnGatewayConnection, WebSocketGateway } from '@nestjs/websockets';
import { AppError } from '../common/errors/app-error.js';
import { ack } from '../common/socket-ack.js';
import { checkInputShape } from '../common/validation/input-shape.js';
import type { RelaySocket } from './server-events.js';

/** Handles one client event: validates the payload itself and returns what the ack carries. */
export type SocketHandler = (socket: RelaySocket, payload: unknown) => Promise<unknown>;

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
  private readonly handlers = new Map<string, SocketHandler>();
  private readonly expensive = new Set<string>();

  /**
   * Registers the handler of a client event (each event has exactly one). An `expensive` event (a
   * read that may return much, like `sync`) counts against its own budget.
   */
  handle(event: string, handler: SocketHandler, options: { expensive?: boolean } = {}): void {
    if (this.handlers.has(event)) throw new Error(`Socket event ${event} has two handlers`);
    this.handlers.set(event, handler);
    if (options.expensive) this.expensive.add(event);
  }

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
