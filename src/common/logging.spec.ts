import { describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { PinoLoggerService } from './logging.js';

/** A PinoLoggerService writing JSON lines into an array, and Nest's Logger routed to it. */
function capture(level = 'debug') {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const service = new PinoLoggerService(pino({ level }, sink));
  return { service, lines };
}

describe('PinoLoggerService (Nest logging on pino)', () => {
  it('keeps the context, merges fields given as an object, and takes the message after them', () => {
    const { service, lines } = capture();
    service.warn({ pending: 3 }, 'sends still in flight', 'MessagingGateway');
    service.log('Relay listening', 'Main');
    expect(lines).toEqual([
      expect.objectContaining({
        level: 40,
        context: 'MessagingGateway',
        pending: 3,
        msg: 'sends still in flight',
      }),
      expect.objectContaining({ level: 30, context: 'Main', msg: 'Relay listening' }),
    ]);
  });

  it('logs an Error, or a stack given as a string, as err', () => {
    const { service, lines } = capture();
    service.error(new Error('boom'), 'Jobs');
    service.error('failed', 'Error: x\n    at somewhere (file.ts:1:1)', 'Jobs');
    expect(lines[0]).toMatchObject({ level: 50, context: 'Jobs', msg: 'boom', err: { message: 'boom' } });
    expect(lines[1]).toMatchObject({
      level: 50,
      context: 'Jobs',
      msg: 'failed',
      err: { stack: expect.stringContaining('at somewhere') },
    });
  });

  it('turns Nest’s start-up chatter into debug and honours the level', () => {
    const { service, lines } = capture('info');
    service.log('Mapped {/api/v1/users, GET} route', 'RouterExplorer');
    service.debug('detail', 'Anything');
    service.log('kept', 'Main');
    expect(lines.map((l) => l.msg)).toEqual(['kept']);
  });

  it('is what `new Logger(context)` writes through once it is the app’s logger', () => {
    const { service, lines } = capture();
    Logger.overrideLogger(service);
    try {
      new Logger('Presence').warn({ node: 'n1' }, 'node presumed dead');
    } finally {
      Logger.overrideLogger(false);
    }
    expect(lines).toEqual([
      expect.objectContaining({ context: 'Presence', node: 'n1', msg: 'node presumed dead' }),
    ]);
  });
});
