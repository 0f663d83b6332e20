import { describe, expect, it } from 'vitest';
import { createKeyMatcher, createRedactor, type KeyMatcher } from '../../../src/logs/redact.js';

/** A key matcher that records the names given to its remembered verdicts. */
function recording(): { matcher: KeyMatcher; remembered: string[] } {
  const real = createKeyMatcher();
  const remembered: string[] = [];
  const matcher = Object.assign(
    (key: string) => {
      remembered.push(key);
      return real(key);
    },
    { amongValues: real.amongValues },
  );
  return { matcher, remembered };
}

describe('a body’s names', () => {
  it('are judged as names among values, never remembered as a line’s field names are', () => {
    const { matcher, remembered } = recording();
    const redact = createRedactor(matcher);
    const fields = Array.from({ length: 3000 }, (_, i) => `f${i}=${i}`).join('&');
    const payload = JSON.stringify({ items: { 'sku-1': 1, 'sku-2': 2 }, password: 'p' });
    const out = redact({ config: { data: `${fields}&client_secret=s` }, body: payload });
    expect(out.config.data.endsWith('&client_secret=[Redacted]')).toBe(true);
    expect(JSON.parse(out.body)).toEqual({ items: { 'sku-1': 1, 'sku-2': 2 }, password: '[Redacted]' });
    expect(remembered).toEqual(['config', 'data', 'body']);
  });
});
