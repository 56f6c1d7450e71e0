export {
  RelayClient,
  unwrap,
  type MessageDraft,
  type Message,
  type RelayClientOptions,
  type RelayEvents,
  type Schemas,
  type SyncResult,
  type SyncState,
  type Tokens,
} from './client.js';
export { RelayError, type RelayErrorCode } from './errors.js';
export type { components, paths } from './generated/openapi.js';
export type { ClientEvents, ErrorCode, ServerEvents } from './generated/socket-events.js';
export { CLIENT_EVENT_NAMES, SERVER_EVENT_NAMES } from './generated/socket-events.js';
