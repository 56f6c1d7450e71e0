import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { ConversationSequencer } from './conversation-sequencer.js';

describe('ConversationSequencer', () => {
  let delivered: string[];
  let seq: ConversationSequencer;
  const push = (conv: string, n: number) => seq.push(conv, n, () => delivered.push(`${conv}${n}`));

  beforeEach(() => {
    jest.useFakeTimers();
    delivered = [];
    seq = new ConversationSequencer();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('delivers in order at once when messages arrive in order', () => {
    for (const n of [1, 2, 3]) push('a', n);
    expect(delivered).toEqual(['a1', 'a2', 'a3']);
  });

  it('holds a message that overtook an earlier one until the gap fills', () => {
    push('a', 1);
    push('a', 3);
    push('a', 4);
    expect(delivered).toEqual(['a1']);
    push('a', 2);
    expect(delivered).toEqual(['a1', 'a2', 'a3', 'a4']);
  });

  it('keeps conversations independent', () => {
    push('a', 1);
    push('b', 1);
    push('a', 3);
    push('b', 2);
    expect(delivered).toEqual(['a1', 'b1', 'b2']);
  });

  it('gives up on a gap that never fills, delivering what it holds in order', () => {
    push('a', 1);
    push('a', 4);
    push('a', 3);
    jest.advanceTimersByTime(1499);
    expect(delivered).toEqual(['a1']);
    jest.advanceTimersByTime(1);
    expect(delivered).toEqual(['a1', 'a3', 'a4']);
    push('a', 2); // Too late to be in order, but never dropped.
    push('a', 5);
    expect(delivered).toEqual(['a1', 'a3', 'a4', 'a2', 'a5']);
  });

  it('starts a conversation it has not seen mid-stream after a short wait, lowest seq first', () => {
    push('a', 8);
    push('a', 7);
    push('a', 9);
    expect(delivered).toEqual([]);
    jest.advanceTimersByTime(25);
    expect(delivered).toEqual(['a7', 'a8', 'a9']);
    push('a', 10);
    expect(delivered).toEqual(['a7', 'a8', 'a9', 'a10']);
  });
});
