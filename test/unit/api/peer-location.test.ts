/**
 * A bundle run away from the build it was made from finds the optional peer dependencies beside
 * the file it runs from, in processes whose intrinsics cannot be changed too.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const child = fileURLToPath(new URL('./peer-location-child.ts', import.meta.url));

describe('optional peer dependencies of a bundle run away from its build', () => {
  it('are found beside the entry script under --frozen-intrinsics', async () => {
    // Act: Error.prepareStackTrace, read to find the running file, cannot be set.
    const { stdout } = await promisify(execFile)(process.execPath, [
      '--frozen-intrinsics',
      '--no-warnings',
      '--import',
      'tsx',
      child,
    ]);

    // Assess
    expect(stdout.trim()).toMatch(/node_modules\/@aws-sdk\/client-cloudwatch\/.+\.js$/);
  });
});
