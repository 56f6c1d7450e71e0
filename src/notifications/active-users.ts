import { Injectable } from '@nestjs/common';
import { SessionRevokedEvent } from '../auth/events/session-revoked.event.js';
import { SessionStateChangedEvent } from '../auth/events/session-state-changed.event.js';
import type { SessionState } from '../auth/session.entity.js';
import { SessionsService } from '../auth/sessions.service.js';
import { CacheService, type SharedCache } from '../common/cache/cache.service.js';
import { OnDomainEvent } from '../common/events/domain-events.js';
import { PresenceService } from '../connections/presence.service.js';

/** A cached session state is trusted this long without a change being announced. */
const STATE_TTL_MS = 60_000;

/**
 * Which users have a connected session in state `active` (they see messages as they arrive and
 * need no notification). Connected sessions come from the presence the gateway keeps (memory or
 * one Redis round trip for a whole batch of users); their states from a cache that a state change
 * on any node clears through the cluster bus, so a batch costs at most one database query, for
 * sessions not seen before.
 */
@Injectable()
export class ActiveUsers {
  /** Session id → its state (null: not live). */
  private readonly states: SharedCache<{ state: SessionState | null }>;

  constructor(
    private readonly presence: PresenceService,
    private readonly sessions: SessionsService,
    caches: CacheService,
  ) {
    this.states = caches.create({ name: 'session-states', max: 100_000, ttlMs: STATE_TTL_MS });
  }

  @OnDomainEvent(SessionStateChangedEvent.event)
  @OnDomainEvent(SessionRevokedEvent.event)
  async onSessionChanged(event: { sessionId: string }): Promise<void> {
    await this.states.invalidate(event.sessionId);
  }

  /** Of these users, those with a connected session in state active, on any node. */
  async among(userIds: string[]): Promise<Set<string>> {
    return this.activeOf(await this.presence.connectedSessions(userIds));
  }

  /**
   * Of these users, those with a socket on this node whose session is active: no round trip to
   * Redis (the send path's planning uses it; users on other nodes are decided when the window closes).
   */
  async here(userIds: string[]): Promise<Set<string>> {
    const connected = new Map<string, string[]>();
    for (const id of userIds) {
      const sessions = this.presence.localSessions(id);
      if (sessions.length > 0) connected.set(id, sessions);
    }
    return this.activeOf(connected);
  }

  private async activeOf(connected: Map<string, string[]>): Promise<Set<string>> {
    if (connected.size === 0) return new Set();
    // While the bus is interrupted, the cache keeps nothing: what is read serves this batch only.
    const states = await this.states.readMany(
      [...new Set([...connected.values()].flat())],
      async (unknown) => {
        const found = await this.sessions.statesOf(unknown);
        return new Map(unknown.map((id) => [id, { state: found.get(id) ?? null }]));
      },
    );
    const active = new Set<string>();
    for (const [userId, sessionIds] of connected) {
      if (sessionIds.some((id) => states.get(id)?.state === 'active')) active.add(userId);
    }
    return active;
  }
}
