import type { ServerEventSpec, ServerEventsOf } from '../realtime/server-events.js';
import { ReleaseDto } from './dto/updates.dto.js';

/** New releases, to the sockets of their platform. */
export const UPDATES_SERVER_EVENTS = {
  'update:available': {
    payload: ReleaseDto,
    summary: 'A newer release for the client’s platform (sockets that gave platform and version)',
  },
} as const satisfies Record<string, ServerEventSpec>;

declare module '../realtime/server-events.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface ServerEvents extends ServerEventsOf<typeof UPDATES_SERVER_EVENTS> {}
}
