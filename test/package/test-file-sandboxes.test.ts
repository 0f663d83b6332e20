import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { moduleSandbox } from '../helpers/module-sandbox.js';

// Jest runs the test files of a worker one after the other in one process, each in a module
// sandbox of its own. These tests load the BUILT package (dist/) into such sandboxes.
const packageJson = join(resolve(import.meta.dirname, '../..'), 'package.json');

type Api = typeof import('../../src/index.js');
type Testing = typeof import('../../src/testing/index.js');

/** init() as a test file calls it in its own sandbox, with its telemetry kept in memory. */
function testFile(service: string) {
  const load = moduleSandbox(packageJson);
  const memory = (load('sightline/testing') as Testing).memoryExporter();
  const obs = (load('sightline') as Api).init({
    service,
    environment: 'test',
    exporters: [memory],
    logStream: { write: () => true },
  });
  return { memory, obs };
}

const traceparents: string[] = [];
const peer = http.createServer((req, res) => {
  traceparents.push(String(req.headers.traceparent));
  res.end('ok');
});
let base: string;
beforeAll(async () => {
  await new Promise<void>((done) => peer.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(peer.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((done) => peer.close(done)));

it('traces outgoing calls once, in the test file making them, when an earlier file never shut down', async () => {
  const earlier = testFile('earlier');
  const current = testFile('current');
  try {
    await current.obs.trace('with fetch', async () => (await fetch(`${base}/fetch`)).text());
    await current.obs.trace(
      'with node:http',
      () => new Promise((done) => http.get(`${base}/http`, (res) => res.resume().on('end', done))),
    );
    await Promise.all([earlier.obs.forceFlush(), current.obs.forceFlush()]);
    const traceIdOf = (name: string) =>
      current.memory
        .spans()
        .find((s) => s.name === name)
        ?.spanContext().traceId;
    expect(traceparents.map((header) => header.split('-')[1])).toEqual([
      traceIdOf('with fetch'),
      traceIdOf('with node:http'),
    ]);
    expect(current.memory.spans().filter((s) => s.name === 'GET')).toHaveLength(2);
    expect(earlier.memory.spans()).toEqual([]);
  } finally {
    await Promise.all([earlier.obs.shutdown(), current.obs.shutdown()]);
  }
});

it('watches the worker threads the process starts once, however many test files loaded the package', async () => {
  const exitListeners = async () => {
    const worker = new Worker('', { eval: true });
    const count = worker.listenerCount('exit');
    await new Promise((done) => worker.once('exit', done));
    return count;
  };
  moduleSandbox(packageJson)('sightline');
  const once = await exitListeners();

  // Act: twelve more test files, each loading the package in a sandbox of its own.
  for (let i = 0; i < 12; i++) moduleSandbox(packageJson)('sightline');

  // Assess: the earlier files' copies hold no listener, nor their modules, for the process's life.
  expect(await exitListeners()).toBe(once);
});
