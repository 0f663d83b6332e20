/**
 * The service keeps serving while its telemetry backend misbehaves. For Express and Fastify, three
 * child processes run side by side: the service without sightline (control), with sightline and a
 * healthy OTLP backend (fault-free), and with sightline and a backend that walks through every fault.
 * Each gets the same steady request rate (open loop, latency from each request's due time), in
 * rounds run at the same moment for all three, so machine noise hits every variant alike; p99 is
 * compared round by round and the median ratio is held to the bound.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdapterStats } from '../../src/index.js';
import { deliveredVsReceived, describeStats, SIGNALS, unbalanced } from './accounting.js';
import { FAULTS, type Fault, type FaultyBackend, startFaultyBackend } from './faulty-backend.js';
import { type Framework, type Memory, type ServiceProcess, startService } from './service-process.js';
import { median } from './load.js';
import { CHANNEL, loadRound as loadServices, p99Of, type Run } from './rounds.js';
import { type LoadWorker, startLoadWorker } from './steady-load.js';

/** A multiple of three, so each variant is loaded first, second and last equally often. */
const ROUNDS = 9;
const RUN_MS = 1000;
/** Requests per second per service: steady traffic, well inside what one core serves. */
const RATE = 250;
const WARMUP_ROUNDS = 4;
/** The bound held for throughput: a fault may cost the service at most 10% of it. */
const MAX_COST = 1.1;
/**
 * What the p99 is held to in CI. p99 is compared round by round (the three variants were loaded in
 * the same second) and the median over rounds is held to the bound: a stall of the machine lands in
 * one round and hits all three alike, and one round's stall in one process does not decide the
 * verdict. Faults measured 0.65 to 1.41 times the fault-free p99 on a 2-core machine over four
 * runs, in both directions, as two identical healthy services do against each other; a fault that
 * blocked the event loop or stormed the backend shows as several times the p99.
 */
const MAX_P99_RATIO = 2;
/** CPU time per request counted by the service itself; reported, and bounded loosely. */
const MAX_CPU_RATIO = 2;
/** Heap growth allowed while the backend is down: four full queues of 2,048 items, with room to spare. */
const HEAP_BOUND = 48 * 1024 * 1024;
/**
 * RSS growth allowed over the whole run (six faults in one process). RSS keeps pages V8 has freed
 * but not returned, so it is the loose bound; heap after GC is the tight one.
 */
const RSS_BOUND = 160 * 1024 * 1024;

type Variant = 'control' | 'faultFree' | 'faulty';

interface Measured {
  rps: number;
  p99: number;
  failures: number;
  cpuPerRequest: number;
}

interface FaultFigures {
  framework: Framework;
  fault: Fault;
  rpsVsFaultFree: number;
  p99VsFaultFree: number;
  cpuVsFaultFree: number;
  rpsVsControl: number;
  p99VsControl: number;
  cpuVsControl: number;
  rps: Record<Variant, number>;
  p99: Record<Variant, number>;
  peakHeapMB: number;
  peakRssMB: number;
}

let roundsRun = 0;

/** Loads the three variants at the same moment; whichever goes first turns from round to round. */
const loadRound = (worker: LoadWorker, framework: Framework, services: Record<Variant, ServiceProcess>) =>
  loadServices(worker, framework, services, roundsRun++, { rate: RATE, durationMs: RUN_MS });

/** Pools the rounds of one variant: throughput over the whole time, the median round's p99. */
function pool(runs: readonly Run[]): Measured {
  const ok = runs.reduce((n, r) => n + r.sample.ok, 0);
  const elapsedMs = runs.reduce((n, r) => n + r.sample.elapsedMs, 0);
  return {
    rps: ok / (elapsedMs / 1000),
    p99: median(runs.map(p99Of)),
    failures: runs.reduce((n, r) => n + r.sample.failures, 0),
    cpuPerRequest: runs.reduce((n, r) => n + r.cpuMicros, 0) / Math.max(ok, 1),
  };
}

const figures: FaultFigures[] = [];
const mb = (n: number) => Math.round((n / 1024 / 1024) * 10) / 10;
const round2 = (n: number) => Math.round(n * 100) / 100;

describe.each(['express', 'fastify'] as const)('%s with a misbehaving telemetry backend', (framework) => {
  let healthyBackend: FaultyBackend;
  let faultyBackend: FaultyBackend;
  let control: ServiceProcess;
  let faultFree: ServiceProcess;
  let faulty: ServiceProcess;
  let services: Record<Variant, ServiceProcess>;
  let worker: LoadWorker;
  let baseline: Memory;
  const startedAt = Date.now();

  beforeAll(async () => {
    healthyBackend = await startFaultyBackend();
    faultyBackend = await startFaultyBackend({ hangMs: 30_000, retryAfterSeconds: 1 });
    [control, faultFree, faulty] = await Promise.all([
      startService({ framework, variant: 'bare' }),
      startService({
        framework,
        variant: 'sightline',
        backendUrl: healthyBackend.url,
        sightline: { channel: CHANNEL },
      }),
      startService({
        framework,
        variant: 'sightline',
        backendUrl: faultyBackend.url,
        sightline: { channel: CHANNEL },
      }),
    ]);
    services = { control, faultFree, faulty };
    worker = await startLoadWorker();
    // Warm-up: JIT, connection pools, lazily loaded modules, the first exports. The first rounds'
    // tails are several times the later ones'.
    for (let round = 0; round < WARMUP_ROUNDS; round++) await loadRound(worker, framework, services);
    await faulty.request('flush', { timeoutMs: 5000 });
    baseline = await faulty.memory();
  }, 60_000);

  afterAll(async () => {
    worker?.close();
    await Promise.all([control?.stop(), faultFree?.stop(), faulty?.stop()]);
    await Promise.all([healthyBackend?.close(), faultyBackend?.close()]);
  });

  it.each(FAULTS)(
    'backend fault %s: service speed, bounded memory, exact accounting, recovery',
    async (fault) => {
      await faultyBackend.setMode(fault);
      const runs: Record<Variant, Run>[] = [];
      const memory: Memory[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        runs.push(await loadRound(worker, framework, services));
        // Every variant takes the forced GCs of a memory reading, so none carries their after-effects
        // (concurrent sweeping, a heap to grow again) into the next round's CPU time alone.
        const [, , m] = await Promise.all([control.memory(), faultFree.memory(), faulty.memory()]);
        memory.push(m);
      }
      const down = await faulty.stats();
      const m = Object.fromEntries(
        (['control', 'faultFree', 'faulty'] as const).map((v) => [v, pool(runs.map((r) => r[v]))]),
      ) as Record<Variant, Measured>;

      // The service answered every request, whatever the backend did.
      for (const v of Object.values(m)) expect(v.failures).toBe(0);

      const row: FaultFigures = {
        framework,
        fault,
        rpsVsFaultFree: round2(m.faulty.rps / m.faultFree.rps),
        p99VsFaultFree: round2(median(runs.map((r) => p99Of(r.faulty) / p99Of(r.faultFree)))),
        cpuVsFaultFree: round2(m.faulty.cpuPerRequest / m.faultFree.cpuPerRequest),
        rpsVsControl: round2(m.faulty.rps / m.control.rps),
        p99VsControl: round2(median(runs.map((r) => p99Of(r.faulty) / p99Of(r.control)))),
        cpuVsControl: round2(m.faulty.cpuPerRequest / m.control.cpuPerRequest),
        rps: {
          control: round2(m.control.rps),
          faultFree: round2(m.faultFree.rps),
          faulty: round2(m.faulty.rps),
        },
        p99: {
          control: round2(m.control.p99),
          faultFree: round2(m.faultFree.p99),
          faulty: round2(m.faulty.p99),
        },
        peakHeapMB: mb(Math.max(...memory.map((x) => x.heapUsed))),
        peakRssMB: mb(Math.max(...memory.map((x) => x.rss))),
      };
      figures.push(row);
      console.log(`${framework} ${fault}: ${JSON.stringify(row)}\n${describeStats(down.otlp ?? {})}`);

      expect(row.rpsVsFaultFree).toBeGreaterThanOrEqual(1 / MAX_COST);
      expect(row.p99VsFaultFree).toBeLessThanOrEqual(MAX_P99_RATIO);
      expect(row.cpuVsFaultFree).toBeLessThanOrEqual(MAX_CPU_RATIO);

      // Memory stays bounded while the backend is down.
      for (const x of memory) {
        expect(x.heapUsed - baseline.heapUsed).toBeLessThan(HEAP_BOUND);
        expect(x.rss - baseline.rss).toBeLessThan(RSS_BOUND);
      }

      // Exact accounting while the backend is down, then recovery: what was queued arrives.
      const stats = down.otlp as AdapterStats;
      expect(unbalanced(stats)).toEqual([]);
      await faultyBackend.setMode('ok');
      const after = (
        await faulty.request<{ stats: Record<string, AdapterStats> }>('flush', { timeoutMs: 10_000 })
      ).stats.otlp as AdapterStats;
      expect(unbalanced(after)).toEqual([]);
      for (const signal of SIGNALS) {
        const was = stats[signal];
        const now = after[signal];
        if (!was || !now) continue;
        // Everything produced before the recovery is settled, delivered or (a batch whose retry budget
        // ran out during the fault) counted dropped; metrics keep coming, so some are queued anew.
        expect(now.produced - now.queued, `${signal} settled after recovery`).toBeGreaterThanOrEqual(
          was.produced,
        );
      }
      await expectBackendMatches(faulty, faultyBackend);
      // The fault was met (a refused connection never reaches the backend: the failed sends show instead).
      if (fault === 'refuse') expect(stats.traces?.retried ?? 0).toBeGreaterThan(0);
      else expect(faultyBackend.requests[fault]).toBeGreaterThan(0);

      // No crash, no unhandled rejection or exception: the process is up and wrote nothing but
      // rate-limited diagnostics to stderr.
      expect(faulty.child.exitCode).toBeNull();
      expectOnlyDiagnostics(faulty.stderr(), Date.now() - startedAt);
    },
    60_000,
  );

  it('shuts down with nothing left in the queues, every item delivered or counted dropped', async () => {
    const res = await faulty.request<{ ms: number; stats: Record<string, AdapterStats> }>('shutdown', {
      timeoutMs: 5000,
    });
    const stats = res.stats.otlp as AdapterStats;
    console.log(`${framework} totals after shutdown:\n${describeStats(stats)}`);
    expect(unbalanced(stats)).toEqual([]);
    for (const signal of SIGNALS) expect(stats[signal]?.queued ?? 0).toBe(0);
    const match = deliveredVsReceived(stats, faultyBackend.received);
    for (const signal of SIGNALS) expect(match[signal]?.received, signal).toBe(match[signal]?.delivered);
    expect(stats.traces?.delivered).toBeGreaterThan(0);
    expect(stats.logs?.delivered).toBeGreaterThan(0);
    expect(stats.metrics?.delivered).toBeGreaterThan(0);
    expectOnlyDiagnostics(faulty.stderr(), Date.now() - startedAt);
    expectOnlyDiagnostics(faultFree.stderr(), Date.now() - startedAt);
    expect(control.stderr()).toBe('');
  });
});

/**
 * What the backend counted equals what sightline counts delivered, signal by signal. Metrics keep
 * flowing each second, so the two are compared at a moment with no export in flight (polled).
 */
async function expectBackendMatches(service: ServiceProcess, backend: FaultyBackend): Promise<void> {
  let match: ReturnType<typeof deliveredVsReceived> = {};
  for (let i = 0; i < 50; i++) {
    match = deliveredVsReceived((await service.stats()).otlp ?? {}, backend.received);
    if (Object.values(match).every((m) => m.delivered === m.received)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(match).toEqual(
    Object.fromEntries(
      Object.entries(match).map(([k, m]) => [k, { delivered: m.received, received: m.received }]),
    ),
  );
}

afterAll(() => {
  if (figures.length > 0)
    console.table(figures.map((f) => ({ ...f, rps: JSON.stringify(f.rps), p99: JSON.stringify(f.p99) })));
});

/**
 * Every stderr line is a sightline diagnostic, and each diagnostic key is reported at most once per
 * minute (plus the first report): a failing backend never turns into a log storm.
 */
function expectOnlyDiagnostics(stderr: string, elapsedMs: number): void {
  const lines = stderr.split('\n').filter((l) => l !== '');
  const perKey = new Map<string, number>();
  for (const line of lines) {
    const m = /^sightline (warn|error|info|debug) ([\w.-]+):/.exec(line);
    expect(m, `unexpected stderr line: ${line}`).not.toBeNull();
    const key = m?.[2] ?? '';
    perKey.set(key, (perKey.get(key) ?? 0) + 1);
  }
  const allowed = 1 + Math.ceil(elapsedMs / 60_000);
  for (const [key, n] of perKey) expect(n, `diagnostic ${key} repeated`).toBeLessThanOrEqual(allowed);
}
