import { Injectable, type OnModuleInit } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { SessionRevokedEvent } from '../auth/events/session-revoked.event.js';
import { SessionStateChangedEvent } from '../auth/events/session-state-changed.event.js';
import type { SessionState } from '../auth/session.entity.js';
import { SessionsService } from '../auth/sessions.service.js';
import { ClusterBus } from '../common/redis/cluster-bus.js';
import { PresenceService } from '../connections/presence.service.js';

const BUS_CHANNEL = 'notifications:session-state';
declare module '../common/redis/bus-channels.js' {
  interface BusChannels {
    'notifications:session-state': { sessionId: string };
  }
}
/** A cached session state is trusted this long without a change being announced. */
const STATE_TTL_MS = 60_000;
const MAX_CACHED = 100_000;

/**
 * Which users have a connected session in state `active` (they see messages as they arrive and
 * need no notification). Connected sessions come from the presence the gateway keeps (memory or
 * one Redis round trip for a whole batch of users); their states from a cache that a state change
 * on any node clears through the cluster bus, so a batch costs at most one database query, for
 * sessions not seen before.
 */
@Injectable()
export class ActiveUsers implements OnModuleInit {
  private readonly states = new Map<string, { state: SessionState | null; until: number }>();

  constructor(
    private readonly presence: PresenceService,
    private readonly sessions: SessionsService,
    private readonly bus: ClusterBus,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.bus.subscribe(BUS_CHANNEL, (payload) => {
      const sessionId = (payload as { sessionId?: unknown }).sessionId;
      if (typeof sessionId === 'string') this.states.delete(sessionId);
    });
    // Changes announced while the bus was down were missed.
    this.bus.onInterruption(() => this.states.clear());
  }

  @OnEvent(SessionStateChangedEvent.event)
  @OnEvent(SessionRevokedEvent.event)
  async onSessionChanged(event: { sessionId: string }): Promise<void> {
    this.states.delete(event.sessionId);
    await this.bus.publish(BUS_CHANNEL, { sessionId: event.sessionId }).catch(() => undefined);
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
    const now = Date.now();
    const unknown = [...connected.values()].flat().filter((id) => !((this.states.get(id)?.until ?? 0) > now));
    if (unknown.length > 0) {
      const found = await this.sessions.statesOf([...new Set(unknown)]);
      if (this.states.size > MAX_CACHED) this.states.clear();
      // Without the bus, a change on another node would go unheard: used for this batch only.
      const until = this.bus.reliable ? now + STATE_TTL_MS : now;
      for (const id of unknown) this.states.set(id, { state: found.get(id) ?? null, until });
    }
    const active = new Set<string>();
    for (const [userId, sessionIds] of connected) {
      if (sessionIds.some((id) => this.states.get(id)?.state === 'active')) active.add(userId);
    }
    return active;
  }
}
