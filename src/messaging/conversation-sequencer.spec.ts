import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { ConversationSequencer } from './conversation-sequencer.js';

describe('ConversationSequencer', () => {
  let delivered: string[];
  let seq: ConversationSequencer;
  /** What "the database" holds: seqs recovery can find, per conversation. */
  let stored: Map<string, number[]>;
  let recoveries: string[];
  let recoveryFails: boolean;
  const push = (conv: string, n: number) => seq.push(conv, n, () => delivered.push(`${conv}${n}`));

  beforeEach(() => {
    jest.useFakeTimers();
    delivered = [];
    stored = new Map();
    recoveries = [];
    recoveryFails = false;
    seq = new ConversationSequencer((conv, from, to) => {
      recoveries.push(`${conv}${from}-${to}`);
      if (recoveryFails) return Promise.reject(new Error('database down'));
      const found = (stored.get(conv) ?? []).filter((n) => n >= from && n <= to);
      return Promise.resolve(new Map(found.map((n) => [n, () => void delivered.push(`${conv}${n}(db)`)])));
    });
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

  it('recovers a gap that does not fill from the database, in order, and drops the late announcement', async () => {
    stored.set('a', [1, 2, 3, 4]);
    push('a', 1);
    push('a', 4);
    push('a', 3);
    jest.advanceTimersByTime(1499);
    expect(delivered).toEqual(['a1']);
    await jest.advanceTimersByTimeAsync(1);
    expect(recoveries).toEqual(['a2-2']);
    expect(delivered).toEqual(['a1', 'a2(db)', 'a3', 'a4']);
    push('a', 2); // Its node woke up at last: already delivered.
    push('a', 5);
    expect(delivered).toEqual(['a1', 'a2(db)', 'a3', 'a4', 'a5']);
  });

  it('keeps an announcement that arrives while the recovery runs, once', async () => {
    stored.set('a', [1, 2, 3]);
    push('a', 1);
    push('a', 3);
    jest.advanceTimersByTime(1500); // The recovery starts…
    push('a', 2); // …and the announcement arrives before it answers.
    await jest.advanceTimersByTimeAsync(0);
    expect(delivered).toEqual(['a1', 'a2', 'a3']);
  });

  it('when recovery fails, delivers what it holds in order and the missing ones when they come', async () => {
    recoveryFails = true;
    push('a', 1);
    push('a', 4);
    push('a', 3);
    await jest.advanceTimersByTimeAsync(1500);
    expect(delivered).toEqual(['a1', 'a3', 'a4']);
    push('a', 2); // Too late to be in order, but never dropped.
    push('a', 2); // Never twice.
    push('a', 5);
    expect(delivered).toEqual(['a1', 'a3', 'a4', 'a2', 'a5']);
  });

  it('recovers at most the latest 500 of a long gap and still delivers older ones that come late', async () => {
    stored.set(
      'a',
      Array.from({ length: 1001 }, (_, i) => i + 1),
    );
    push('a', 1);
    push('a', 1001);
    await jest.advanceTimersByTimeAsync(1500);
    expect(recoveries).toEqual(['a501-1000']);
    expect(delivered).toHaveLength(1 + 500 + 1);
    expect(delivered.at(-1)).toBe('a1001');
    push('a', 7);
    expect(delivered.at(-1)).toBe('a7');
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
