import type { ValidateFunction } from 'ajv';
import { closeObjects, problems, SchemaCheck } from './schema-check.js';

const DOCUMENT_ID = 'https://relay.invalid/asyncapi.json';

interface AsyncApiDocument {
  operations: Record<string, { action: 'send' | 'receive'; messages: { $ref: string }[] }>;
  components: {
    messages: Record<string, { name: string; payload: object }>;
    schemas: Record<string, object>;
  };
}

/**
 * Every server event and every ack a test receives is checked against the AsyncAPI document the
 * server serves (/docs/events.json): the event must be one Relay documents sending, its payload
 * must match, with no field the schema does not name.
 */
export class SocketContract {
  private static readonly byUrl = new Map<string, Promise<SocketContract>>();
  private readonly payloads = new Map<string, ValidateFunction>();
  private readonly acks = new Map<string, ValidateFunction>();

  constructor(document: AsyncApiDocument) {
    const closed = closeObjects(structuredClone(document));
    const schemas = new SchemaCheck(DOCUMENT_ID, { schemas: closed.components.schemas });
    const messageOf = (ref: string) => closed.components.messages[ref.split('/').at(-1)!]!;
    for (const operation of Object.values(closed.operations)) {
      const message = messageOf(operation.messages[0]!.$ref.replace('#/channels/relay/messages/', ''));
      if (operation.action === 'send') {
        this.payloads.set(message.name, schemas.compile(message.payload));
      } else {
        const ack = messageOf(`client.${message.name.replaceAll(':', '.')}.ack`);
        this.acks.set(message.name, schemas.compile(ack.payload));
      }
    }
  }

  /** The contract of the server at `url` (fetched once per server). */
  static of(url: string): Promise<SocketContract> {
    let contract = SocketContract.byUrl.get(url);
    if (!contract) {
      contract = fetch(`${url}/docs/events.json`).then(async (response) => {
        if (!response.ok) throw new Error(`no AsyncAPI document at ${url}/docs/events.json`);
        return new SocketContract((await response.json()) as AsyncApiDocument);
      });
      SocketContract.byUrl.set(url, contract);
    }
    return contract;
  }

  /** Why a server event breaks the contract, or null. */
  serverEvent(event: string, payload: unknown): string | null {
    const validate = this.payloads.get(event);
    if (!validate) return `the server sent "${event}", which the contract does not list`;
    return validate(payload) ? null : `"${event}" differs from the contract: ${problems(validate)}`;
  }

  /** Why the ack of a client event breaks the contract, or null (events outside the contract: null). */
  ack(event: string, answer: unknown): string | null {
    const validate = this.acks.get(event);
    if (!validate) return null; // the tests also send events Relay does not know, on purpose
    return validate(answer) ? null : `the ack of "${event}" differs from the contract: ${problems(validate)}`;
  }
}
