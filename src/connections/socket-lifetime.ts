import { Injectable } from '@nestjs/common';
import { AuthService } from '../auth/auth.service.js';
import { AppError } from '../common/errors/app-error.js';
import type { RelaySocket } from '../realtime/server-events.js';

/** How long before its token ends a socket is told (`session:expiring`), at most. */
const WARN_BEFORE_MS = 60_000;
/** setTimeout's longest delay; a later end is re-armed when this one fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A socket lives no longer than the token it was admitted (or last refreshed) with: it is told
 * `session:expiring` about a minute before the end (half-way for shorter tokens), may answer with
 * `auth:refresh` and a fresh access token of the same session, and otherwise gets
 * `session:expired` and is disconnected when the token ends.
 */
@Injectable()
export class SocketLifetime {
  private readonly timers = new WeakMap<RelaySocket, NodeJS.Timeout[]>();

  constructor(private readonly auth: AuthService) {}

  /** Starts (or restarts) the countdown to `socket.data.auth.expiresAt`. */
  arm(socket: RelaySocket): void {
    this.disarm(socket);
    const expiresAt = socket.data.auth.expiresAt;
    const remaining = expiresAt - Date.now();
    const at = { expiresAt: new Date(expiresAt).toISOString() };
    const timers =
      remaining > MAX_TIMER_MS
        ? [setTimeout(() => this.arm(socket), MAX_TIMER_MS)]
        : [
            setTimeout(
              () => socket.emit('session:expiring', at),
              Math.max(0, remaining - Math.min(WARN_BEFORE_MS, remaining / 2)),
            ),
            setTimeout(
              () => {
                socket.emit('session:expired', at);
                socket.disconnect(true);
              },
              Math.max(0, remaining),
            ),
          ];
    for (const timer of timers) timer.unref();
    this.timers.set(socket, timers);
  }

  disarm(socket: RelaySocket): void {
    for (const timer of this.timers.get(socket) ?? []) clearTimeout(timer);
    this.timers.delete(socket);
  }

  /**
   * `auth:refresh`: a fresh access token of the socket's own session extends its life. Any other
   * token (another session, another user, expired, forged) is UNAUTHORIZED and changes nothing.
   */
  async refresh(socket: RelaySocket, token: string): Promise<{ expiresAt: string }> {
    const auth = await this.auth.authenticate(token);
    const current = socket.data.auth;
    if (auth.userId !== current.userId || auth.sessionId !== current.sessionId) {
      throw AppError.unauthorized('The token belongs to another session');
    }
    socket.data.auth = auth;
    this.arm(socket);
    return { expiresAt: new Date(auth.expiresAt).toISOString() };
  }
}
