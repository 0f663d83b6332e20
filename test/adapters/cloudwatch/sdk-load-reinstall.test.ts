import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { builtLoader } from './built-loader.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/**
 * Loads a CommonJS package whose require of a dependency fails (a pruned node_modules; a load short
 * of file handles, which Node's CommonJS resolver reports as MODULE_NOT_FOUND), then installs the
 * dependency's `files` and loads it twice more, as batches do: Node keeps the first failure for the
 * package's module and gives it to every later import of it.
 */
function loadAroundInstall(files: Record<string, string>): { first: string; second: string; third: string } {
  dir = mkdtempSync(join(tmpdir(), 'sl-sdk-'));
  const sdk = join(dir, 'node_modules', 'partial-sdk');
  mkdirSync(sdk, { recursive: true });
  writeFileSync(join(sdk, 'package.json'), '{"name":"partial-sdk","main":"index.js"}');
  writeFileSync(join(sdk, 'index.js'), "exports.PutMetricDataCommand = require('sdk-dep').Command;");
  const dep = join(dir, 'node_modules', 'sdk-dep');
  const script = `${builtLoader()}
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const path = await import('node:path');
    const first = await attempt('partial-sdk');
    for (const [name, text] of Object.entries(${JSON.stringify(files)})) {
      const file = path.join(${JSON.stringify(dep)}, name);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, text);
    }
    process.stdout.write(JSON.stringify({
      first,
      second: await attempt('partial-sdk'),
      third: await attempt('partial-sdk'),
    }));
  `;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 30_000,
  });
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout);
}

describe('api mode with an SDK whose own dependency is missing, then installed', () => {
  it('loads the SDK on the next attempt, without a restart', () => {
    const runs = loadAroundInstall({ 'index.js': 'exports.Command = class {};' });
    expect(runs).toEqual({ first: 'ClientUnavailableError ', second: 'function', third: 'function' });
  });

  it('loads one installed as npm installs it, with a package.json, on the next attempt under Node 22 only', () => {
    const runs = loadAroundInstall({
      'package.json': '{"name":"sdk-dep","main":"lib/index.js"}',
      'lib/index.js': 'exports.Command = class {};',
    });
    // Node 24 keeps the package.json it did not find as missing for the life of the process, where
    // Node 22 reads it again: there the process needs a restart, as the README says.
    const next = Number(process.versions.node.split('.')[0]) < 24 ? 'function' : 'ClientUnavailableError ';
    expect(runs).toEqual({ first: 'ClientUnavailableError ', second: next, third: next });
  });
});
