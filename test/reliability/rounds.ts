import type { Framework, ServiceProcess } from './service-process.js';
import { type LoadWorker, quantile, type SteadySample } from './steady-load.js';

/**
 * OTLP channel settings of the services with sightline: exports every 200 ms and gives up on a
 * batch within seconds, so each fault is met many times in a short run.
 */
export const CHANNEL = {
  flushIntervalMs: 200,
  timeoutMs: 3000,
  retry: { initialDelayMs: 100, maxDelayMs: 1000, maxElapsedMs: 4000 },
};

/** The list started at its `turn`-th item (wrapping), so each item takes each place in turn. */
export function turned<T>(list: readonly T[], turn: number): T[] {
  const k = turn % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

/** One variant's share of a round: what the load worker measured and the CPU the service used. */
export interface Run {
  sample: SteadySample;
  cpuMicros: number;
}

/**
 * Loads every service at the same moment, each with its own connections, from the load worker.
 * The worker sends each tick's requests in the order it was given the targets, so the order turns
 * from round to round (`turn`): always last, one variant measured 1.1-1.2 times the others' p99
 * with nothing wrong with it.
 */
export async function loadRound<V extends string>(
  worker: LoadWorker,
  framework: Framework,
  services: Record<V, ServiceProcess>,
  turn: number,
  load: { rate: number; durationMs: number },
): Promise<Record<V, Run>> {
  const all = Object.entries(services) as [V, ServiceProcess][];
  const entries = turned(all, turn);
  const cpu = () => Promise.all(entries.map(([, s]) => s.request<{ cpu: NodeJS.CpuUsage }>('cpu')));
  const before = await cpu();
  const samples = await worker.run(
    entries.map(([, s]) => ({ port: s.port, framework })),
    load,
  );
  const after = await cpu();
  const used = (i: number) => {
    const a = after[i]?.cpu;
    const b = before[i]?.cpu;
    return a && b ? a.user + a.system - b.user - b.system : Number.NaN;
  };
  return Object.fromEntries(
    entries.map(([name], i) => [name, { sample: samples[i] as SteadySample, cpuMicros: used(i) }]),
  ) as Record<V, Run>;
}

export const p99Of = (run: Run): number => quantile(run.sample.latenciesMs, 0.99);
