import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

// The reports below have the shape vitest's JSON reporter writes. A test whose worker died before it
// reported a result is `pending`; a file whose worker died while importing it has no tests at all,
// and both files read `passed`.
const script = resolve(import.meta.dirname, '../../.ci/test-totals.mjs');
let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

type Status = 'passed' | 'failed' | 'pending' | 'skipped' | 'todo';
const file = (name: string, statuses: Status[], status = 'passed', message = '') => ({
  name: `/repo/test/${name}`,
  status,
  message,
  assertionResults: statuses.map((s, i) => ({ fullName: `${name} ${i}`, status: s, failureMessages: [] })),
});

/** Runs the totals over one report per run and returns its output lines. */
function totals(...runs: { code: number; files?: ReturnType<typeof file>[] }[]): string[] {
  dir = mkdtempSync(join(tmpdir(), 'totals-'));
  const args = runs.map((run, i) => {
    const report = join(dir, `run${i}.json`);
    if (run.files === undefined) return `Node ${22 + 2 * i}:${run.code}:${report}`;
    const tests = run.files.flatMap((f) => f.assertionResults);
    writeFileSync(
      report,
      JSON.stringify({
        numPassedTests: tests.filter((t) => t.status === 'passed').length,
        numFailedTests: tests.filter((t) => t.status === 'failed').length,
        testResults: run.files,
      }),
    );
    return `Node ${22 + 2 * i}:${run.code}:${report}`;
  });
  return execFileSync(process.execPath, [script, ...args], { encoding: 'utf8' })
    .trim()
    .split('\n');
}

describe('.ci/test-totals.mjs', () => {
  it('sums passed and failed tests over the runs', () => {
    const out = totals(
      { code: 0, files: [file('a.test.ts', ['passed', 'passed', 'skipped'])] },
      { code: 1, files: [file('a.test.ts', ['passed', 'failed', 'skipped'], 'failed')] },
    );
    expect(out.at(-1)).toBe('3 passed, 1 failed');
  });

  it('counts a file whose worker crashed during its tests as failed, beside a failed test', () => {
    const out = totals({
      code: 1,
      files: [
        file('ok.test.ts', ['passed', 'failed'], 'failed'),
        file('crash.test.ts', ['pending', 'pending']),
      ],
    });
    expect(out.at(-1)).toBe('1 passed, 2 failed');
    expect(out.join('\n')).toContain('crash.test.ts');
  });

  it('counts a file whose worker crashed while loading it as failed, beside a failed test', () => {
    const out = totals({
      code: 1,
      files: [file('ok.test.ts', ['passed', 'failed'], 'failed'), file('crash.test.ts', [])],
    });
    expect(out.at(-1)).toBe('1 passed, 2 failed');
    expect(out.join('\n')).toContain('crash.test.ts');
  });

  it('counts a file that failed to load, and a run without a report, as failed', () => {
    const out = totals(
      {
        code: 1,
        files: [file('a.test.ts', ['passed']), file('b.test.ts', [], 'failed', 'Cannot find module')],
      },
      { code: 1 },
    );
    expect(out.at(-1)).toBe('1 passed, 2 failed');
  });
});
