import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDiag } from '../../../src/diag/diag.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('diagnostics', () => {
  it('says a warning again once its interval has passed, also when the wall clock stepped back', () => {
    const lines: string[] = [];
    const diag = createDiag({ level: 'warn', write: (l) => lines.push(l), intervalMs: 60_000 });
    diag.warn('export.dd.logs.status', 'dd logs: HTTP 403; 2 items dropped (rejected)');
    diag.warn('export.dd.logs.status', 'dd logs: HTTP 403; 2 items dropped (rejected)');
    // A minute and a second later, NTP having stepped the wall clock back ten minutes meanwhile.
    const wall = Date.now;
    const own = performance.now.bind(performance);
    vi.spyOn(Date, 'now').mockImplementation(() => wall() - 600_000 + 61_000);
    vi.spyOn(performance, 'now').mockImplementation(() => own() + 61_000);
    diag.warn('export.dd.logs.status', 'dd logs: HTTP 403; 2 items dropped (rejected)');
    expect(lines).toEqual([
      'sightline warn export.dd.logs.status: dd logs: HTTP 403; 2 items dropped (rejected)',
      'sightline warn export.dd.logs.status: dd logs: HTTP 403; 2 items dropped (rejected) (1 similar suppressed)',
    ]);
  });
});
