import { describe, expect, it } from '@jest/globals';
import { validatePayload } from '../../common/errors/validation.js';
import { SendMessageDto } from './message.dto.js';

const conversationId = '6f1d0f8e-9c55-4a5e-8a43-5d8f0c2a4b11';

/** Runs the full class-validator path: the instance, or the refusal's code. */
const full = (payload: unknown): Promise<unknown> =>
  validatePayload(SendMessageDto, payload).then(
    (dto) => ({ ...dto }),
    (error: { code?: string }) => error.code,
  );

describe('SendMessageDto.parseSimple (the fast check of the common send)', () => {
  const accepted: unknown[] = [
    { conversationId, body: 'hi', clientMsgId: 'c-1' },
    { conversationId: conversationId.toUpperCase(), body: '', clientMsgId: 'x'.repeat(128) },
    { conversationId, body: 'typed', type: 'text' },
    { conversationId, body: 'ü 🎉 \t\n' },
  ];
  it.each(accepted)('accepts what the decorators accept, with the same result (case %#)', async (payload) => {
    const fast = SendMessageDto.parseSimple(payload);
    expect(fast).not.toBeNull();
    expect({ ...fast }).toEqual(await full(payload));
  });

  const declined: unknown[] = [
    null,
    'text',
    [conversationId],
    { conversationId, body: 'hi', extra: 1 },
    { conversationId, body: 'hi', to: { type: 'user', id: conversationId } },
    { conversationId, body: 'hi', attachments: [] },
    { conversationId: 'not-a-uuid', body: 'hi' },
    { conversationId: '00000000-0000-0000-0000-000000000000', body: 'hi' },
    { conversationId, body: 42 },
    { conversationId, body: 'x'.repeat(100_001) },
    { conversationId, body: 'hi', clientMsgId: '' },
    { conversationId, body: 'hi', clientMsgId: 'x'.repeat(129) },
    { conversationId, body: 'hi', clientMsgId: 'ünicode' },
    { conversationId, body: 'hi', type: 'system' },
    { conversationId, body: 'hi', clientMsgId: undefined },
    Object.assign(Object.create({ inherited: true }) as object, { conversationId, body: 'hi' }),
    JSON.parse(`{"conversationId":"${conversationId}","body":"hi","__proto__":{"x":1}}`) as unknown,
  ];
  it.each(declined)('leaves anything else to the full validation (case %#)', (payload) => {
    expect(SendMessageDto.parseSimple(payload)).toBeNull();
  });
});
