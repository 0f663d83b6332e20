import { describe, expect, it } from 'vitest';
import { backoffDelayMs, DEFAULT_RETRY, parseRetryAfter } from '../../../src/export/retry.js';

describe('backoffDelayMs', () => {
  const policy = { initialDelayMs: 100, maxDelayMs: 1000, maxElapsedMs: 10_000 };

  it('draws uniformly below a ceiling that doubles per attempt up to the maximum (full jitter)', () => {
    const top = () => 0.999999;
    expect([0, 1, 2, 3, 4, 10].map((a) => backoffDelayMs(a, policy, top))).toEqual([
      99, 199, 399, 799, 999, 999,
    ]);
    expect(backoffDelayMs(5, policy, () => 0)).toBe(0);
    expect(backoffDelayMs(2, policy, () => 0.5)).toBe(200);
  });

  it('stays finite for very high attempt numbers', () => {
    expect(backoffDelayMs(10_000, DEFAULT_RETRY, () => 0.5)).toBe(DEFAULT_RETRY.maxDelayMs / 2);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');

  it.each([
    ['120', 120_000],
    ['0', 0],
    [' 2 ', 2000],
    ['1.5', 1500],
    ['Wed, 01 Jan 2025 00:00:30 GMT', 30_000],
    ['Tue, 31 Dec 2024 23:59:00 GMT', 0],
  ])('reads %j as %i ms', (value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });

  it.each([null, undefined, '', 'soon', '-5', '12abc'])('ignores %j', (value) => {
    expect(parseRetryAfter(value, now)).toBeUndefined();
  });
});
