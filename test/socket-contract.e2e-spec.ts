import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DiagnosticSeverity, Parser } from '@asyncapi/parser';
import { randomUUID } from 'node:crypto';
import { CLIENT_EVENTS, SERVER_EVENTS } from '../src/contract/socket-contract.js';
import { SocketRouter } from '../src/realtime/socket-router.js';
import { releaseTestDatabase, startApp, type TestApp } from './support/app.js';
import { SocketContract } from './support/socket-contract.js';

describe('the socket contract (AsyncAPI 3 at /docs/events.json)', () => {
  let t: TestApp;
  let document: Record<string, unknown>;

  beforeAll(async () => {
    t = await startApp();
    const response = await t.http.get('/docs/events.json').expect(200);
    document = response.body as Record<string, unknown>;
  });
  afterAll(async () => {
    await t?.close();
    await releaseTestDatabase();
  });

  it('is a valid AsyncAPI 3 document (the AsyncAPI parser finds no error)', async () => {
    const { document: parsed, diagnostics } = await new Parser().parse(JSON.stringify(document));
    const errors = diagnostics.filter((d) => (d.severity as number) === (DiagnosticSeverity.Error as number));
    expect(errors.map((d) => `${d.path.join('.')}: ${d.message}`)).toEqual([]);
    expect(parsed?.version()).toBe('3.0.0');
    const operations = parsed!.operations().all();
    expect(operations.filter((o) => o.action() === 'send').map((o) => o.messages().all()[0]!.name())).toEqual(
      Object.keys(SERVER_EVENTS),
    );
    expect(
      operations.filter((o) => o.action() === 'receive').map((o) => o.messages().all()[0]!.name()),
    ).toEqual(Object.keys(CLIENT_EVENTS));
    // One message per server event, and per client event its own and its ack's (an event name may go
    // both ways with two shapes, like `typing`).
    const serverCount = Object.keys(SERVER_EVENTS).length;
    expect(parsed!.components().messages().all()).toHaveLength(
      serverCount + 2 * Object.keys(CLIENT_EVENTS).length,
    );
    // Every client event is answered by an ack (the operation's reply).
    expect(operations.filter((o) => o.action() === 'receive').every((o) => o.reply() !== undefined)).toBe(
      true,
    );
  });

  it('names exactly the client events Relay handles', () => {
    expect(t.app.get(SocketRouter).events().sort()).toEqual(Object.keys(CLIENT_EVENTS).sort());
  });

  it('the check the other tests run on every socket event and ack can fail', async () => {
    const contract = await SocketContract.of(t.url);
    // `typing` both ways: the server's carries who types, the client's does not.
    expect(
      contract.serverEvent('typing', { conversationId: randomUUID(), userId: randomUUID(), typing: true }),
    ).toBeNull();
    expect(contract.serverEvent('message:new', { id: 5 })).toMatch(/differs from the contract/);
    expect(
      contract.serverEvent('presence', { userId: 'x', online: true, lastSeenAt: null, extra: 1 }),
    ).toMatch(/extra/);
    expect(contract.serverEvent('secret:event', {})).toMatch(/does not list/);
    expect(contract.ack('message:delete', { ok: true, data: { surprise: true } })).toMatch(/differs/);
    expect(
      contract.ack('message:delete', { ok: false, error: { code: 'NOT_FOUND', message: 'x' } }),
    ).toBeNull();
    expect(
      contract.ack('auth:refresh', { ok: true, data: { expiresAt: new Date().toISOString() } }),
    ).toBeNull();
  });

  it('serves the rendered page at /docs/events (AsyncAPI’s own renderer)', async () => {
    const page = await t.http.get('/docs/events').expect(200);
    expect(page.text).toContain('/docs/events/asyncapi.js');
    await t.http
      .get('/docs/events/asyncapi.js')
      .expect(200)
      .expect('Content-Type', /javascript/);
  });
});
