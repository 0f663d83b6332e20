/**
 * The `SIGHTLINE_*` variables of the README's configuration table that no other test sets, read
 * through `init()` as a deployment sets them, booleans in each of the spellings it lists.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { otlp } from '../../../adapters/otlp/index.js';
import { getSightline, init } from '../../../src/index.js';
import { captureStderr, startCaptured } from '../../helpers/capture.js';
import { startHungBackend } from '../../helpers/hung-backend.js';

afterEach(async () => {
  await getSightline()?.shutdown({ timeoutMs: 200 });
  vi.unstubAllEnvs();
});

describe('SIGHTLINE_* variables', () => {
  it('SIGHTLINE_SHUTDOWN_TIMEOUT is the deadline of shutdown() when the backend hangs', async () => {
    const hung = await startHungBackend();
    try {
      vi.stubEnv('SIGHTLINE_SHUTDOWN_TIMEOUT', '300');
      const obs = init({
        exporters: [otlp({ url: hung.url, env: {} })],
        logStream: { write: () => {} },
        anomaly: false,
        outbound: false,
      });
      for (let i = 0; i < 10; i++) obs.trace('work', () => obs.log.info('line'));
      const started = performance.now();
      await obs.shutdown();
      const took = performance.now() - started;
      expect(took).toBeGreaterThan(250);
      expect(took).toBeLessThan(300 + 250);
    } finally {
      await hung.close();
    }
  });

  it.each([
    ['no', false],
    ['0', false],
    ['off', false],
    ['yes', true],
    ['1', true],
    ['on', true],
  ])('SIGHTLINE_OUTBOUND=%s traces outgoing calls: %s', async (value, traced) => {
    const got: IncomingHttpHeaders[] = [];
    const server = createServer((req, res) => {
      got.push(req.headers);
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      vi.stubEnv('SIGHTLINE_OUTBOUND', value);
      const { obs, memory } = startCaptured({ anomaly: false });
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/stock`;
      await obs.trace('job', async () => (await fetch(url)).text());
      await obs.forceFlush();
      expect(got[0]?.traceparent !== undefined).toBe(traced);
      expect(memory.spans().some((s) => s.name !== 'job')).toBe(traced);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it.each([
    ['on', 1],
    ['off', 0],
  ])('SIGHTLINE_HANDLE_SIGNALS=%s adds %d SIGTERM listener', (value, added) => {
    const before = process.listenerCount('SIGTERM');
    vi.stubEnv('SIGHTLINE_HANDLE_SIGNALS', value);
    startCaptured({ anomaly: false, outbound: false });
    expect(process.listenerCount('SIGTERM') - before).toBe(added);
  });

  it('SIGHTLINE_DIAGNOSTICS=warn writes diagnostics to stderr', async () => {
    const stderr = captureStderr();
    try {
      vi.stubEnv('SIGHTLINE_DIAGNOSTICS', 'warn');
      const { obs } = startCaptured({ anomaly: false, outbound: false });
      obs.metrics.counter('diag').add(Number.NaN);
      await obs.shutdown();
    } finally {
      stderr.restore();
    }
    expect(stderr.writes.filter((w) => w.includes('drop.invalid_value'))).toHaveLength(1);
  });
});
