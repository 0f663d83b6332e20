/**
 * The service name a process gets from its package.json when none is configured, wherever it was
 * started from.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const source = pathToFileURL(fileURLToPath(new URL('../../../src/index.ts', import.meta.url))).href;
const tsx = import.meta.resolve('tsx');

/** Runs `entry` from `cwd` and answers the service name its instance took. */
async function serviceOf(entry: string, cwd: string, extraEnv: Record<string, string> = {}): Promise<string> {
  writeEntry(entry);
  return run(entry, cwd, extraEnv);
}

/** Writes an entry script that answers the service name its instance took. */
function writeEntry(entry: string): void {
  writeFileSync(
    entry,
    `import { init } from ${JSON.stringify(source)};\n` +
      'const obs = init({ logStream: { write() {} } });\n' +
      'process.stdout.write(obs.service);\n' +
      'await obs.shutdown();\n',
  );
}

/** Runs `entry` from `cwd`, with no service configured, and answers what it wrote. */
async function run(entry: string, cwd: string, extraEnv: Record<string, string> = {}): Promise<string> {
  const env = { ...process.env, ...extraEnv };
  for (const name of [
    'SIGHTLINE_SERVICE',
    'OTEL_SERVICE_NAME',
    'OTEL_RESOURCE_ATTRIBUTES',
    'DD_SERVICE',
    'DD_TAGS',
  ])
    delete env[name];
  const { stdout } = await promisify(execFile)(process.execPath, ['--no-warnings', '--import', tsx, entry], {
    cwd,
    env,
  });
  return stdout;
}

function app(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'sl-app-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe('the default service name', () => {
  it("is the app's package.json name when it is started from another directory, as dd-trace reads it", async () => {
    // Prepare: a built app run by its path from elsewhere, as systemd without WorkingDirectory does.
    const root = app({ 'package.json': JSON.stringify({ name: 'orders-api' }) });
    const elsewhere = mkdtempSync(join(tmpdir(), 'sl-cwd-'));
    mkdirSync(join(root, 'dist'));

    // Act and assess
    expect(await serviceOf(join(root, 'dist', 'server.mjs'), elsewhere)).toBe('orders-api');
  });

  it("is the app's package.json name when it is started through a link to its entry script, as dd-trace reads it", async () => {
    // Prepare: a link in a directory of commands to the app's built entry, as a unit's ExecStart
    // names it; node gives the link as the entry, dd-trace the script it leads to.
    const root = app({ 'package.json': JSON.stringify({ name: 'orders-api' }) });
    mkdirSync(join(root, 'dist'));
    const bin = mkdtempSync(join(tmpdir(), 'sl-bin-'));
    const link = join(bin, 'orders-api.mjs');
    symlinkSync(join(root, 'dist', 'server.mjs'), link);
    const elsewhere = mkdtempSync(join(tmpdir(), 'sl-cwd-'));

    // Act and assess
    expect(await serviceOf(link, elsewhere)).toBe('orders-api');
  });

  it("is the app's in the worker threads of a pool under node_modules, as in the main thread", async () => {
    // Prepare: an app run by its path from elsewhere, whose pool starts threads from a file of its
    // own under node_modules, each calling init(): one process, one service.
    const root = app({ 'package.json': JSON.stringify({ name: 'orders-api' }) });
    const elsewhere = mkdtempSync(join(tmpdir(), 'sl-cwd-'));
    const init = `import { init } from ${JSON.stringify(source)};\nconst obs = init({ logStream: { write() {} } });\n`;
    mkdirSync(join(root, 'node_modules', 'pool'), { recursive: true });
    writeFileSync(
      join(root, 'node_modules', 'pool', 'thread.mjs'),
      `import { parentPort } from 'node:worker_threads';\n${init}` +
        'parentPort.postMessage(obs.service);\nawait obs.shutdown();\n',
    );
    mkdirSync(join(root, 'dist'));
    writeFileSync(
      join(root, 'dist', 'server.mjs'),
      `import { Worker } from 'node:worker_threads';\n${init}` +
        "const thread = new Worker(new URL('../node_modules/pool/thread.mjs', import.meta.url));\n" +
        "const inThread = await new Promise((resolve, reject) => thread.once('message', resolve).once('error', reject));\n" +
        "process.stdout.write(obs.service + ' ' + inThread);\nawait obs.shutdown();\n",
    );

    // Act and assess
    expect(await run(join(root, 'dist', 'server.mjs'), elsewhere)).toBe('orders-api orders-api');
  });

  it("is the app's package.json name when it is started by its directory, as dd-trace reads it", async () => {
    // Prepare: `node /srv/orders-api`, run from elsewhere: node runs the package's main, and names
    // the directory as the entry.
    const root = app({ 'package.json': JSON.stringify({ name: 'orders-api', main: 'dist/server.mjs' }) });
    mkdirSync(join(root, 'dist'));
    writeEntry(join(root, 'dist', 'server.mjs'));
    const elsewhere = mkdtempSync(join(tmpdir(), 'sl-cwd-'));

    // Act and assess
    expect(await run(root, elsewhere)).toBe('orders-api');
  });

  it("is the working directory's package.json name before the app's, as before", async () => {
    const root = app({ 'package.json': JSON.stringify({ name: 'orders-api' }) });
    const workspace = app({ 'package.json': JSON.stringify({ name: 'workspace' }) });
    expect(await serviceOf(join(root, 'server.mjs'), workspace)).toBe('workspace');
  });

  it("is not the name of a Lambda runtime's package, whose entry starts the function's code", async () => {
    const root = app({ 'package.json': JSON.stringify({ name: 'lambda-runtime' }) });
    const task = mkdtempSync(join(tmpdir(), 'sl-task-'));
    expect(await serviceOf(join(root, 'index.mjs'), task, { LAMBDA_TASK_ROOT: task })).toBe(
      'unknown_service:node',
    );
  });

  it.each([
    ['fork_mode', 'ProcessContainerFork.js', '/usr/lib/node_modules'],
    ['cluster_mode', 'ProcessContainer.js', '/usr/lib/node_modules'],
    ['fork_mode', 'ProcessContainerFork.js', '/opt'],
  ])("is the app's package.json name under pm2 (%s, %s in %s), not pm2's", async (mode, container, home) => {
    // Prepare: pm2's container is the entry, loading the app's script that pm_exec_path names, run
    // from where `pm2 start /srv/orders-api/dist/server.mjs` was typed.
    const root = app({ 'package.json': JSON.stringify({ name: 'orders-api' }) });
    mkdirSync(join(root, 'dist'));
    const server = join(root, 'dist', 'server.mjs');
    writeEntry(server);
    const pm2 = join(app({}), home, 'pm2');
    mkdirSync(join(pm2, 'lib'), { recursive: true });
    writeFileSync(join(pm2, 'package.json'), JSON.stringify({ name: 'pm2' }));
    writeFileSync(
      join(pm2, 'lib', container),
      "const { pathToFileURL } = require('node:url');\nimport(pathToFileURL(process.env.pm_exec_path).href);\n",
    );
    const elsewhere = mkdtempSync(join(tmpdir(), 'sl-cwd-'));
    const pm2Env = { pm_exec_path: server, pm_cwd: elsewhere, name: 'orders', pm_id: '0', exec_mode: mode };

    // Act and assess
    expect(await run(join(pm2, 'lib', container), elsewhere, pm2Env)).toBe('orders-api');
  });

  it("is the entry script's package.json name in a process the app starts under pm2, whose env it inherits", async () => {
    const root = app({ 'package.json': JSON.stringify({ name: 'orders-api' }) });
    const worker = app({ 'package.json': JSON.stringify({ name: 'orders-worker' }) });
    const elsewhere = mkdtempSync(join(tmpdir(), 'sl-cwd-'));
    const pm2Env = { pm_exec_path: join(root, 'server.mjs'), name: 'orders', pm_id: '0' };
    expect(await serviceOf(join(worker, 'worker.mjs'), elsewhere, pm2Env)).toBe('orders-worker');
  });

  it('is not the name of a tool the process was started through, whose entry is under node_modules', async () => {
    const root = app({
      'node_modules/runner/package.json': JSON.stringify({ name: 'runner' }),
    });
    const elsewhere = mkdtempSync(join(tmpdir(), 'sl-cwd-'));
    expect(await serviceOf(join(root, 'node_modules', 'runner', 'cli.mjs'), elsewhere)).toBe(
      'unknown_service:node',
    );
    // One reached through node_modules/.bin, linked to a tool's checkout of its own (npm link).
    const tool = app({ 'package.json': JSON.stringify({ name: 'linked-runner' }) });
    mkdirSync(join(root, 'node_modules', '.bin'));
    symlinkSync(join(tool, 'cli.mjs'), join(root, 'node_modules', '.bin', 'runner.mjs'));
    expect(await serviceOf(join(root, 'node_modules', '.bin', 'runner.mjs'), elsewhere)).toBe(
      'unknown_service:node',
    );
  });
});
