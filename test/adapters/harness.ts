import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { Sightline } from '../../src/api/types.js';
import type { SightlineConfig } from '../../src/config/types.js';
import type { SightlineAdapter } from '../../src/export/types.js';
import { getSightline, init, SightlineConfigError } from '../../src/index.js';

/** Queue, flush and retry timings small enough for tests. */
export const FAST_CHANNEL = {
  flushIntervalMs: 50,
  timeoutMs: 2000,
  shutdownTimeoutMs: 1000,
  retry: { initialDelayMs: 5, maxDelayMs: 20, maxElapsedMs: 5000 },
};

export interface Started {
  obs: Sightline;
  /** Lines written to the log stream (stdout stand-in). */
  lines: string[];
}

/**
 * Starts sightline as the service `checkout` (version 1.4.2) with one exporter, the detector off and
 * metrics exported only when flushed.
 */
export function startWith(exporter: SightlineAdapter, config: SightlineConfig = {}): Started {
  const lines: string[] = [];
  const obs = init({
    service: 'checkout',
    environment: 'prod',
    version: '1.4.2',
    metricInterval: 60_000,
    handleSignals: false,
    anomaly: false,
    logStream: { write: (l: string) => lines.push(l) },
    exporters: [exporter],
    ...config,
  });
  return { obs, lines };
}

/**
 * README's "Per environment" setup: `adapter` listed for production only. In development it is never
 * set up, so sightline starts with the console even on a machine without the backend's settings;
 * in production init() throws what the adapter's setup throws.
 */
export async function expectOnlyProductionSetsUp(adapter: () => SightlineAdapter): Promise<unknown> {
  const name = adapter().name;
  const dev = startWith(adapter(), { environment: 'development', exporters: { production: [adapter()] } });
  dev.obs.log.info('hello');
  expect(Object.keys(dev.obs.stats())).not.toContain(name);
  expect(dev.lines.map((l) => JSON.parse(l).msg)).toContain('hello');
  await stopSightline();
  try {
    startWith(adapter(), { environment: 'production', exporters: { production: [adapter()] } });
  } catch (error) {
    return error;
  }
  throw new Error(`init() set up ${name} in production`);
}

export async function stopSightline(): Promise<void> {
  await getSightline()?.shutdown({ timeoutMs: 2000 });
}

/**
 * A check that compares a body strictly with `test/fixtures/golden/<vendor>/<name>.json`. The file is
 * written only when `UPDATE_GOLDEN=1`, from a run whose output was checked by hand; a missing file
 * fails.
 */
export function goldenFiles(vendor: string): (name: string, actual: unknown) => void {
  const dir = new URL(`../fixtures/golden/${vendor}/`, import.meta.url);
  return (name, actual) => {
    const file = new URL(`${name}.json`, dir);
    const text = `${JSON.stringify(actual, null, 2)}\n`;
    if (process.env.UPDATE_GOLDEN === '1') {
      mkdirSync(dir, { recursive: true });
      writeFileSync(file, text);
    }
    expect(existsSync(file), `golden file ${vendor}/${name}.json is missing; run with UPDATE_GOLDEN=1`).toBe(
      true,
    );
    expect(JSON.parse(text)).toStrictEqual(JSON.parse(readFileSync(file, 'utf8')));
  };
}

/** The SightlineConfigError `fn` throws; fails the test when it throws something else or nothing. */
export function configError(fn: () => unknown): SightlineConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SightlineConfigError);
    return error as SightlineConfigError;
  }
  throw new Error('expected a SightlineConfigError');
}

/**
 * The error init() throws in production for the adapter `make` gives, after checking that
 * development, whose exporters do not include it, starts: what the environment lacks (a token, a
 * key) fails only where the adapter is used.
 */
export async function failsInProductionOnly(make: () => SightlineAdapter): Promise<SightlineConfigError> {
  const initIn = (environment: string) =>
    init({ environment, exporters: { production: [make()] }, logStream: { write() {} }, anomaly: false });
  const obs = initIn('development');
  expect(obs.environment).toBe('development');
  await obs.shutdown({ timeoutMs: 2000 });
  return configError(() => initIn('production'));
}
