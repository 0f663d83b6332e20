import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { Sightline } from '../../src/api/types.js';
import type { SightlineConfig } from '../../src/config/types.js';
import type { SightlineAdapter } from '../../src/export/types.js';
import { getSightline, init } from '../../src/index.js';

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
