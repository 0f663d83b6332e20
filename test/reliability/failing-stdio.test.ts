/**
 * A service whose stdout fails under it keeps running: stdout redirected to a file on a full disk
 * (ENOSPC). Node's own console writes on such a stream fail quietly; sightline's must not end the
 * process with an unhandled 'error' event either.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const child = fileURLToPath(new URL('./failing-stdio-child.ts', import.meta.url));

/** Runs the child with its stdout on a full disk, and resolves with its exit code and stderr. */
async function run(): Promise<{ code: number | null; report: Record<string, unknown>; stderr: string }> {
  // /dev/full takes no byte: each write fails with ENOSPC, as a file on a full disk does.
  const full = openSync('/dev/full', 'w');
  const p = spawn(process.execPath, ['--import', 'tsx', child], { stdio: ['ignore', full, 'pipe'] });
  closeSync(full);
  let stderr = '';
  p.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const code = await new Promise<number | null>((resolve) => p.on('close', resolve));
  const line = stderr.split('\n').find((l) => l.startsWith('{'));
  return { code, report: JSON.parse(line ?? '{}'), stderr };
}

describe('stdout on a full disk', () => {
  it('keeps the service running and counts the lines it could not write', async () => {
    // Prepare, act: the child logs 100 lines, each write to stdout failing with ENOSPC, awaits
    // shutdown() and ends on its own.
    const { code, report, stderr } = await run();

    // Assess: no crash on the writer's 'error' event; every line is counted lost.
    expect(stderr).not.toContain('ENOSPC');
    expect(code).toBe(0);
    expect(report.drops).toEqual({ log_stdout_closed: 100 });
  }, 30_000);
});
