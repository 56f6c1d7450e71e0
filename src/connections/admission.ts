import { Injectable, Logger } from '@nestjs/common';
import { AppError } from '../common/errors/app-error.js';
import { loggable } from '../common/errors/all-exceptions.filter.js';
import type { RelayServer, RelaySocket } from '../realtime/server-events.js';

/**
 * The stages of a socket's admission, in the order they run: whether the node and the origin take
 * it; who it is (a token or a single-use ticket); whether its handshake is signed (SIGNATURE_REQUIRED);
 * whether the user may open one more socket (and the budgets of its events); which rooms it joins.
 */
export const ADMISSION_STAGES = ['origin', 'credentials', 'signature', 'limits', 'rooms'] as const;
export type AdmissionStage = (typeof ADMISSION_STAGES)[number];

/** What a step sees of the socket being admitted. */
export interface Admission {
  readonly socket: RelaySocket;
  /**
   * Keeps something this step took (a socket slot, a spent ticket) until the socket connects; should
   * a later step refuse it, or its client go away before it is connected, `release` gives it back.
   * Once connected, the socket's disconnection is what frees it.
   */
  hold(release: () => Promise<unknown> | void): void;
}

/** One step: resolves to admit, throws to refuse (the refusal's code reaches the client). */
export type AdmissionStep = (admission: Admission) => Promise<void> | void;

interface Registered {
  stage: AdmissionStage;
  name: string;
  step: AdmissionStep;
}

/**
 * A refusal the client sees as `connect_error` with the code as its message (Socket.IO passes an
 * Error's message and `data` to the client).
 */
export function refusal(code: string, cause?: unknown): Error {
  return new Error(code, { cause });
}

/**
 * The one admission of every socket: the steps modules register run in the order of their stage
 * (in the order they were registered within one), and a socket is admitted whole or not at all.
 * When a step refuses, or the client closes its connection before Socket.IO connects the socket,
 * everything earlier steps held is released, in reverse order.
 */
@Injectable()
export class AdmissionPipeline {
  private readonly logger = new Logger('SocketAdmission');
  private readonly steps: Registered[] = [];
  /**
   * Sockets admitted but not yet connected, with what they hold; once connected, a socket's
   * disconnection is what frees it.
   */
  private readonly admitted = new Map<string, (() => Promise<unknown> | void)[]>();

  /** Adds a step to a stage (modules register theirs as they initialise, before the node listens). */
  register(stage: AdmissionStage, name: string, step: AdmissionStep): void {
    this.steps.push({ stage, name, step });
    this.steps.sort((a, b) => ADMISSION_STAGES.indexOf(a.stage) - ADMISSION_STAGES.indexOf(b.stage));
  }

  /** The steps in the order they run (`stage:name`), for documents and tests. */
  order(): string[] {
    return this.steps.map((s) => `${s.stage}:${s.name}`);
  }

  install(server: RelayServer): void {
    // Socket.IO's own event, on the tick it connects the socket (before the check below).
    server.on('connection', (socket) => this.admitted.delete(socket.id));
    server.use((socket, next) => {
      void this.admit(socket).then(
        () => {
          next();
          // Socket.IO connects the socket on the next tick, unless its client has gone meanwhile:
          // then it drops it without a word, and what it holds must be given back here.
          setImmediate(() => void this.settle(socket.id));
        },
        (error: unknown) => next(error instanceof Error ? error : refusal('UNAUTHORIZED', error)),
      );
    });
  }

  private async admit(socket: RelaySocket): Promise<void> {
    const held: (() => Promise<unknown> | void)[] = [];
    const admission: Admission = { socket, hold: (release) => void held.push(release) };
    try {
      for (const { step } of this.steps) {
        await step(admission);
        // The client went away while this step ran: nothing more is taken for it.
        if (socket.conn.readyState !== 'open') throw refusal('CLIENT_GONE');
      }
    } catch (error) {
      await this.release(held);
      throw error instanceof AppError ? refusal(error.code, error) : error;
    }
    this.admitted.set(socket.id, held);
  }

  /** Releases what a socket that never connected holds. */
  private async settle(socketId: string): Promise<void> {
    const held = this.admitted.get(socketId);
    if (!held) return;
    this.admitted.delete(socketId);
    await this.release(held);
  }

  private async release(held: (() => Promise<unknown> | void)[]): Promise<void> {
    for (const release of held.reverse()) {
      try {
        await release();
      } catch (error) {
        this.logger.warn({ err: loggable(error) }, 'releasing what a refused socket held failed');
      }
    }
  }
}
