import { afterEach, describe, expect, it, vi } from 'vitest';
import { lineExpired, lineTime } from '../../../src/export/log-time.js';
import type { LogKeys } from '../../../src/export/types.js';

const epochKeys: LogKeys = {
  messageKey: 'message',
  levelKey: 'status',
  timeKey: 'timestamp',
  timeFormat: 'epoch',
};
const isoKeys: LogKeys = { messageKey: 'msg', levelKey: 'level', timeKey: '@timestamp', timeFormat: 'iso' };
const now = Date.UTC(2024, 4, 1, 12);
const window = { pastMs: 60_000, aheadMs: 1000 };

afterEach(() => {
  vi.restoreAllMocks();
});

describe('lineExpired', () => {
  it('reads the time key of the shape in use when asked, as the shape changes', () => {
    let keys = epochKeys;
    const expired = lineExpired(window, () => keys);
    const old = { line: `{"status":"info","timestamp":${now - 120_000},"message":"x"}` };
    const fresh = { line: `{"status":"info","timestamp":${now},"message":"x"}` };
    expect([expired(old, now), expired(fresh, now)]).toEqual([true, false]);
    keys = isoKeys;
    // Under the ISO shape the epoch field is a user's, not the line's time: the line never expires.
    expect(expired(old, now)).toBe(false);
    const oldIso = {
      line: `{"level":"info","@timestamp":"${new Date(now - 120_000).toISOString()}","msg":"x"}`,
    };
    expect(expired(oldIso, now)).toBe(true);
    expect(lineTime(oldIso.line, isoKeys)).toBe(now - 120_000);
    expect(lineTime(old.line, epochKeys)).toBe(now - 120_000);
  });

  it('does not quote the time key anew for every line it reads', () => {
    const expired = lineExpired(window, () => epochKeys);
    const line = { line: `{"status":"info","timestamp":${now},"message":"x"}` };
    expired(line, now);
    const stringify = vi.spyOn(JSON, 'stringify');
    for (let i = 0; i < 100; i++) expired(line, now);
    expect(stringify).not.toHaveBeenCalled();
  });
});
