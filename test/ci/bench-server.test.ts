import { fork } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serverEnv } from '../../bench/http.js';

const root = resolve(import.meta.dirname, '../..');

/** Starts the benchmark's server as bench/http.ts does, and returns what it wrote to stderr. */
function startAndStop(variant: string, env: NodeJS.ProcessEnv): Promise<string> {
  const child = fork(resolve(root, 'bench/http-server.ts'), ['express', variant, 'http://127.0.0.1:9'], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    env,
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.on('message', (m: { port?: number }) => {
    if (m.port) child.send('exit');
  });
  return new Promise((done, fail) => {
    child.once('error', fail);
    child.once('exit', (code) => (code === 0 ? done(stderr) : fail(new Error(`exited ${code}: ${stderr}`))));
  });
}

describe("the HTTP benchmark's server", () => {
  // The variables bench/http.ts gives its server (which sightline to load, and from where) are the
  // benchmark's: sightline, loaded with them set, must not take them for its own misspelt.
  it('runs sightline with no warning about the variables the benchmark sets', async () => {
    const stderr = await startAndStop(
      'sightline',
      serverEnv('sightline-baseline', 'http://127.0.0.1:9', { baseline: root, dist: false }),
    );
    expect(stderr).not.toContain('SLWRN004');
  });

  it("names the benchmark's own variables outside sightline's", () => {
    const env = serverEnv('sightline-baseline', 'http://127.0.0.1:9', { baseline: root, dist: true });
    const added = Object.keys(env).filter((name) => !(name in process.env));
    expect(added.length).toBeGreaterThan(0);
    expect(added.filter((name) => name.startsWith('SIGHTLINE_'))).toEqual([]);
  });
});
