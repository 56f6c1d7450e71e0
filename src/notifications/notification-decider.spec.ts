import { describe, expect, it } from '@jest/globals';
import { preview } from './notification-decider.js';

describe('preview', () => {
  it('keeps short text, folds whitespace, cuts at 100 characters (code points) with an ellipsis', () => {
    expect(preview('  hello\n\tthere  ', 0)).toBe('hello there');
    const long = '😀'.repeat(150);
    const cut = preview(long, 0);
    expect([...cut]).toHaveLength(100);
    expect(cut.endsWith('…')).toBe(true);
    expect(preview('x'.repeat(100), 0)).toBe('x'.repeat(100));
  });

  it('says what an attachment-only message carries', () => {
    expect(preview('', 1)).toBe('Sent an attachment');
    expect(preview(' ', 3)).toBe('Sent 3 attachments');
    expect(preview('', 0)).toBe('New message');
  });
});
