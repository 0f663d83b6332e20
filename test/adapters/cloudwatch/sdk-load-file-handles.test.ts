import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { builtLoader } from './built-loader.js';

/**
 * A process that runs out of file handles while the SDK loads, then gets them back, as the first
 * load and the next one see it, or an error's name and code. Real handles and the real SDK, in a
 * process of its own with a low limit.
 */
function loadAfterShortage(loader: string, free: number): { free: number; first: string; second: string } {
  const script = `${loader}
    const { closeSync, openSync } = await import('node:fs');
    const fds = [];
    try { for (;;) fds.push(openSync('/dev/null', 'r')); } catch {}
    for (let i = 0; i < ${free}; i++) closeSync(fds.pop());
    const first = await attempt('@aws-sdk/client-cloudwatch');
    for (const fd of fds) closeSync(fd);
    process.stdout.write(JSON.stringify({ first, second: await attempt('@aws-sdk/client-cloudwatch') }));
  `;
  const result = spawnSync(
    'bash',
    ['-c', 'ulimit -n 128 && exec "$0" --input-type=module -e "$1" 2>/dev/null', process.execPath, script],
    { cwd: process.cwd(), encoding: 'utf8', timeout: 30_000 },
  );
  return { free, ...JSON.parse(result.stdout) };
}

describe('api mode with an AWS SDK whose load ran out of file handles', () => {
  it('loads the SDK once handles are back, wherever in its modules they ran out', () => {
    // Node keeps the failure of a module whose evaluation failed and gives it to every later
    // import: run out inside the SDK's own modules (a package.json of @aws-sdk/core, under Node 24
    // ERR_INVALID_PACKAGE_CONFIG, under Node 22 EMFILE), the SDK never loaded again, and every
    // batch was retried until retries_exhausted for the life of the process.
    const loader = builtLoader();
    const runs = [0, 1, 2, 3].map((free) => loadAfterShortage(loader, free));
    const failed = runs.filter((run) => run.first !== 'function');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.filter((run) => run.second !== 'function')).toEqual([]);
  });
});
