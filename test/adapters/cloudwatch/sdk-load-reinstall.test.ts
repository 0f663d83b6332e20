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

describe('api mode with an SDK whose own dependency is missing, then installed', () => {
  it('loads the SDK on the next attempt, without a restart', () => {
    // A CommonJS package whose require of a dependency fails (a pruned node_modules; a load short of
    // file handles, which Node's CommonJS resolver reports as MODULE_NOT_FOUND): Node keeps that
    // failure for the package's module and gives it to every later import of it.
    dir = mkdtempSync(join(tmpdir(), 'sl-sdk-'));
    const sdk = join(dir, 'node_modules', 'partial-sdk');
    mkdirSync(sdk, { recursive: true });
    writeFileSync(join(sdk, 'package.json'), '{"name":"partial-sdk","main":"index.js"}');
    writeFileSync(join(sdk, 'index.js'), "exports.PutMetricDataCommand = require('sdk-dep').Command;");
    const dep = join(dir, 'node_modules', 'sdk-dep');
    const script = `${builtLoader()}
      const { mkdirSync, writeFileSync } = await import('node:fs');
      const attempt = async () => {
        try {
          return typeof (await loadSdk('partial-sdk')).PutMetricDataCommand;
        } catch (error) {
          return error.name + ' ' + (error.code ?? '');
        }
      };
      const first = await attempt();
      mkdirSync(${JSON.stringify(dep)});
      writeFileSync(${JSON.stringify(join(dep, 'index.js'))}, 'exports.Command = class {};');
      process.stdout.write(JSON.stringify({ first, second: await attempt(), third: await attempt() }));
    `;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.stderr).toBe('');
    const runs = JSON.parse(result.stdout);
    expect(runs.first).toBe('ClientUnavailableError ');
    expect(runs.second).toBe('function');
    expect(runs.third).toBe('function');
  });
});
