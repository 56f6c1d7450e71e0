import type { Type } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import { toJsonSchema } from './json-schema.js';
import {
  CLIENT_EVENTS,
  type ClientEventSpec,
  SERVER_EVENTS,
  type ServerEventSpec,
} from './socket-contract.js';

const CHANNEL = 'relay';
const EMPTY = 'EmptyResult';

/** A component key for an event (`message:send` → `message.send`): AsyncAPI keys take no colons. */
const keyOf = (event: string): string => event.replaceAll(':', '.');
const schemaRef = (model: Type | string) => ({
  $ref: `#/components/schemas/${typeof model === 'string' ? model : model.name}`,
});

/**
 * The socket contract as an AsyncAPI 3 document, from the same tables Relay's own types come
 * from ({@link SERVER_EVENTS}, {@link CLIENT_EVENTS}), with the payload schemas of the OpenAPI
 * document (one set of shapes for REST and sockets), as JSON Schema. It describes Relay: it
 * `send`s the server events and `receive`s the client events, each answered by an ack (the reply).
 */
export function buildAsyncApiDocument(openapi: OpenAPIObject): Record<string, unknown> {
  const messages: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const channelMessages: Record<string, unknown> = {};
  const channel = { $ref: `#/channels/${CHANNEL}` };
  const inChannel = (key: string) => ({ $ref: `#/channels/${CHANNEL}/messages/${key}` });

  // Messages are keyed by direction: an event name may go both ways (`typing`) with two shapes.
  for (const [event, spec] of Object.entries(SERVER_EVENTS) as [string, ServerEventSpec][]) {
    const key = `server.${keyOf(event)}`;
    messages[key] = { name: event, title: event, summary: spec.summary, payload: schemaRef(spec.payload) };
    channelMessages[key] = { $ref: `#/components/messages/${key}` };
    operations[`send.${keyOf(event)}`] = {
      action: 'send',
      channel,
      summary: spec.summary,
      messages: [inChannel(key)],
    };
  }
  for (const [event, spec] of Object.entries(CLIENT_EVENTS) as [string, ClientEventSpec][]) {
    const key = `client.${keyOf(event)}`;
    const ackKey = `${key}.ack`;
    messages[key] = { name: event, title: event, summary: spec.summary, payload: schemaRef(spec.payload) };
    messages[ackKey] = {
      name: `${event} ack`,
      title: `${event} ack`,
      summary: 'The acknowledgement callback’s one argument',
      payload: {
        oneOf: [
          {
            type: 'object',
            properties: { ok: { const: true }, data: schemaRef(spec.result ?? EMPTY) },
            required: ['ok', 'data'],
          },
          {
            type: 'object',
            properties: { ok: { const: false }, error: schemaRef('SocketErrorDto') },
            required: ['ok', 'error'],
          },
        ],
      },
    };
    channelMessages[key] = { $ref: `#/components/messages/${key}` };
    channelMessages[ackKey] = { $ref: `#/components/messages/${ackKey}` };
    operations[`receive.${keyOf(event)}`] = {
      action: 'receive',
      channel,
      summary: spec.summary,
      ...(spec.expensive
        ? { description: 'Budgeted apart from other events (RATE_LIMIT_SOCKET_READS_PER_10S).' }
        : {}),
      messages: [inChannel(key)],
      reply: { channel, messages: [inChannel(ackKey)] },
    };
  }

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Relay socket contract',
      version: openapi.info.version,
      description:
        'Socket.IO (path /socket.io, default namespace). Authenticate in the handshake: ' +
        '`auth: {token}` with an access token or a single-use ticket from GET /api/v1/auth/ws-token ' +
        '(optionally `platform` and `version` for update notices). A refused handshake is a ' +
        '`connect_error` whose message is the code: UNAUTHORIZED, FORBIDDEN_ORIGIN, SIGNATURE_INVALID, ' +
        'TOO_MANY_SOCKETS or SERVICE_UNAVAILABLE. Every client event takes an acknowledgement callback ' +
        'answered `{ok: true, data}` or `{ok: false, error: {code, message, details?}}`. REST: /docs.',
    },
    defaultContentType: 'application/json',
    channels: {
      [CHANNEL]: {
        address: '/',
        title: 'The default namespace',
        description: 'Every event of a connected socket. The server joins sockets to rooms itself.',
        messages: channelMessages,
      },
    },
    operations,
    components: {
      messages,
      schemas: {
        ...toJsonSchema(openapi.components?.schemas ?? {}),
        [EMPTY]: { type: 'object', description: 'An empty object', additionalProperties: false },
      },
    },
  };
}
