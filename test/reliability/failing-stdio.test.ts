/**
 * A service whose stdout or stderr fails under it keeps running: stdout redirected to a file on a
 * full disk (ENOSPC), stderr a pipe whose reader has gone (EPIPE) or a file on a full disk while
 * diagnostics are on. Node's own console writes on such streams fail quietly; sightline's must not
 * end the process with an unhandled 'error' event either.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const child = fileURLToPath(new URL('./failing-stdio-child.ts', import.meta.url));

/**
 * Runs the child with `failing` broken as `how` says, and resolves with its exit code and the
 * report it wrote on the other stream.
 */
async function run(
  failing: 'stdout' | 'stderr',
  how: 'full disk' | 'reader gone',
): Promise<{ code: number | null; report: Record<string, unknown>; other: string }> {
  // /dev/full takes no byte: each write fails with ENOSPC, as a file on a full disk does.
  const full = how === 'full disk' ? openSync('/dev/full', 'w') : undefined;
  const broken = full ?? 'pipe';
  const stdio =
    failing === 'stdout' ? (['ignore', broken, 'pipe'] as const) : (['ignore', 'pipe', broken] as const);
  const p = spawn(process.execPath, ['--import', 'tsx', child, failing], { stdio: [...stdio] });
  if (full !== undefined) closeSync(full);
  const gone = failing === 'stdout' ? p.stdout : p.stderr;
  gone?.destroy();
  let other = '';
  (failing === 'stdout' ? p.stderr : p.stdout)?.on('data', (chunk) => {
    other += chunk;
  });
  const code = await new Promise<number | null>((resolve) => p.on('close', resolve));
  const line = other.split('\n').find((l) => l.startsWith('{'));
  return { code, report: JSON.parse(line ?? '{}'), other };
}

describe('stdout on a full disk', () => {
  it('keeps the service running and counts the lines it could not write', async () => {
    // Prepare, act: the child logs 100 lines, each write to stdout failing with ENOSPC, awaits
    // shutdown() and ends on its own.
    const { code, report, other } = await run('stdout', 'full disk');

    // Assess: no crash on the writer's 'error' event; every line is counted lost.
    expect(other).not.toContain('ENOSPC');
    expect(code).toBe(0);
    expect(report.drops).toEqual({ log_stdout_closed: 100 });
  }, 30_000);
});

describe.each(['reader gone', 'full disk'] as const)('diagnostics on stderr, %s', (how) => {
  it('keep the service running', async () => {
    // Prepare, act: the child exports to a port nobody listens on, with diagnostics at debug,
    // which report each failed export on stderr, whose writes fail (EPIPE, ENOSPC).
    const { code, report } = await run('stderr', how);

    // Assess: it ran to its end and exited on its own.
    expect(code).toBe(0);
    expect(report.code).toBe(0);
  }, 30_000);
});
