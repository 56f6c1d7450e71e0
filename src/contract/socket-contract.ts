import type { Type } from '@nestjs/common';
import {
  CONNECTIONS_CLIENT_EVENTS,
  CONNECTIONS_SERVER_EVENTS,
} from '../connections/connections.socket-events.js';
import { GROUPS_CLIENT_EVENTS } from '../groups/groups.socket-events.js';
import { MESSAGING_CLIENT_EVENTS, MESSAGING_SERVER_EVENTS } from '../messaging/messaging.socket-events.js';
import type { ClientEventSpec, ServerEventSpec } from '../realtime/server-events.js';
import { UPDATES_SERVER_EVENTS } from '../updates/updates.socket-events.js';
import { SocketErrorDto } from './socket-ack.dto.js';

export type { ClientEventSpec, ServerEventSpec };

/**
 * The socket contract: every event the server sends and every event a client may send, each
 * with the DTO class of its payload (and of its ack's `data`). Each module declares its own
 * events (`<module>.socket-events.ts`), adds its server events to Relay's `ServerEvents` type and
 * registers its client events' handlers with the `SocketRouter`; these two tables gather them for
 * the AsyncAPI document at /docs/events and the client SDK's types.
 */
export const SERVER_EVENTS = {
  ...MESSAGING_SERVER_EVENTS,
  ...CONNECTIONS_SERVER_EVENTS,
  ...UPDATES_SERVER_EVENTS,
} as const satisfies Record<string, ServerEventSpec>;

export const CLIENT_EVENTS = {
  ...MESSAGING_CLIENT_EVENTS,
  ...CONNECTIONS_CLIENT_EVENTS,
  ...GROUPS_CLIENT_EVENTS,
} as const satisfies Record<string, ClientEventSpec>;

export type ServerEventName = keyof typeof SERVER_EVENTS;
export type ClientEventName = keyof typeof CLIENT_EVENTS;

/**
 * Every client event of the contract has its handler, and every handled event is in the
 * contract: otherwise Relay does not start.
 */
export function checkSocketContract(handled: string[]): void {
  const missing = Object.keys(CLIENT_EVENTS).filter((event) => !handled.includes(event));
  if (missing.length > 0) throw new Error(`Socket events without a handler: ${missing.join(', ')}`);
  const unknown = handled.filter((event) => !(event in CLIENT_EVENTS));
  if (unknown.length > 0) throw new Error(`Socket events outside the contract: ${unknown.join(', ')}`);
}

/** Every DTO class the contract names, and the refused ack's error (for the documents). */
export function contractModels(): Type[] {
  const models: Type[] = [SocketErrorDto];
  for (const spec of Object.values(SERVER_EVENTS) as ServerEventSpec[]) models.push(spec.payload);
  for (const spec of Object.values(CLIENT_EVENTS) as ClientEventSpec[]) {
    models.push(spec.payload, ...(spec.result ? [spec.result] : []));
  }
  return [...new Set(models)];
}
