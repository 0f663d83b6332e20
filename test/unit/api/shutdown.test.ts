import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { getSightline, init } from '../../../src/index.js';
import type { SightlineAdapter } from '../../../src/export/types.js';
import { memoryExporter } from '../../../src/testing/index.js';

afterEach(async () => {
  await getSightline()?.shutdown();
});

const hanging = (flushed: string[]): SightlineAdapter => ({
  name: 'hanging',
  setup: () => ({
    forceFlush: () => new Promise(() => {}),
    shutdown: () => {
      flushed.push('shutdown called');
      return new Promise(() => {});
    },
  }),
});

describe('shutdown() and forceFlush()', () => {
  it('flushes metrics and spans to the adapters before resolving', async () => {
    const memory = memoryExporter();
    const obs = init({ exporters: [memory], logStream: { write() {} }, metricInterval: 3_600_000 });
    obs.metrics.counter('final').add(4);
    obs.trace('last', () => {});
    await obs.shutdown();
    expect(memory.metrics().find((p) => p.name === 'final')?.value).toBe(4);
    expect(memory.spans().map((s) => s.name)).toEqual(['last']);
  });

  it('returns at its deadline when an adapter hangs, and never rejects', async () => {
    const calls: string[] = [];
    const obs = init({ exporters: [hanging(calls)], logStream: { write() {} } });
    const started = performance.now();
    await expect(obs.forceFlush({ timeoutMs: 100 })).resolves.toBeUndefined();
    await expect(obs.shutdown({ timeoutMs: 150 })).resolves.toBeUndefined();
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(240);
    expect(elapsed).toBeLessThan(2000);
    expect(calls).toEqual(['shutdown called']);
  });

  it('is idempotent: a second call returns the same settled promise', async () => {
    const obs = init({ logStream: { write() {} } });
    const first = obs.shutdown();
    expect(obs.shutdown()).toBe(first);
    await first;
  });
});

describe('handleSignals', () => {
  it('flushes on SIGTERM, then lets the process end by the signal', () => {
    const script = `
      import { init } from './src/index.ts';
      const obs = init({ service: 'sig', handleSignals: true, exporters: [{ name: 'slow', setup: () => ({
        shutdown: () => new Promise((r) => setTimeout(() => { process.stdout.write('flushed\\n'); r(); }, 50)),
      }) }], logStream: { write() {} } });
      setInterval(() => {}, 1000);
      process.stdout.write('ready\\n');
      setTimeout(() => process.kill(process.pid, 'SIGTERM'), 20);
    `;
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: process.cwd(),
      encoding: 'utf8',
      timeout: 15_000,
    });
    expect(result.stdout).toBe('ready\nflushed\n');
    expect(result.signal).toBe('SIGTERM');
  });
});
