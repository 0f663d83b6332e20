/**
 * The service's tail latency while its telemetry backend misbehaves, measured long enough to tell
 * a 10% difference from noise (the suite's nine one-second rounds cannot).
 *
 * Four copies of the service run side by side under the same steady request rate, on one schedule
 * (request k is due at the same moment for all four): without sightline (control), with sightline
 * and a healthy backend (fault-free), an identical twin of that one (the noise floor: it differs from
 * fault-free only by chance), and with sightline and a backend that walks through every fault. Each
 * fault gets `--rounds` rounds; every answered request's latency is pooled per copy, and the ratios
 * of p99s come with a 90% interval from resampling the rounds.
 *
 * With `--alone`, each round loads one copy at a time instead (the order turning from round to
 * round), so a copy's tail is its own and not the other three's share of the two cores; copies are
 * then compared across neighbouring moments instead of the same ones.
 *
 * Three latencies per request: the client's, from the moment the request was due to its answer (what
 * a caller sees, the generator's own lateness included); the server's, from the moment the server
 * emitted the request to the moment the response was handed to the kernel; and the service's own,
 * the server's less the time its main thread waited for a CPU meanwhile (from the kernel's
 * schedstat), which leaves out what other processes on the machine took from it.
 *
 * With `--realtime` (Linux, `chrt`, needs CAP_SYS_NICE), the load generator and the services run
 * ahead of every other process on the machine: on two shared cores, other processes' load otherwise
 * decides the tail (p99 of 0.3-1.7 s for a service that answers in 7 ms). It is opt-in because a
 * real-time process that spins can starve the rest of the machine.
 *
 *   npm run tail-latency -- [--framework express|fastify] [--rounds 16] [--round-ms 2000] [--rate 250]
 *     [--faults ok,refuse,...] [--realtime] [--alone]
 */
import { loadavg, setPriority } from 'node:os';
import { parseArgs } from 'node:util';
import { FAULTS, type Fault, startFaultyBackend } from './faulty-backend.js';
import { raisePriority } from './realtime.js';
import { CHANNEL, loadRound, type Run } from './rounds.js';
import { type Framework, type ServiceProcess, startService } from './service-process.js';
import { quantile, startLoadWorker } from './steady-load.js';

const { values } = parseArgs({
  options: {
    framework: { type: 'string', default: 'express' },
    rounds: { type: 'string', default: '16' },
    'round-ms': { type: 'string', default: '2000' },
    rate: { type: 'string', default: '250' },
    faults: { type: 'string', default: ['ok', ...FAULTS].join(',') },
    realtime: { type: 'boolean', default: false },
    alone: { type: 'boolean', default: false },
  },
});
const framework = values.framework as Framework;
const rounds = Number(values.rounds);
const load = { rate: Number(values.rate), durationMs: Number(values['round-ms']) };
const faults = values.faults.split(',') as Fault[];

type Copy = 'control' | 'faultFree' | 'twin' | 'faulty';
const COPIES: readonly Copy[] = ['control', 'faultFree', 'twin', 'faulty'];
type Measure = 'client' | 'server' | 'own';

/** One copy's share of a round: each answered request's latency, the three ways, in ms. */
interface Share {
  client: number[];
  server: number[];
  own: number[];
  late: number[];
  ok: number;
  failures: number;
  elapsedMs: number;
}
type Round = Record<Copy, Share>;

/** Loads each copy in turn, the order turning from round to round, so no copy always goes first. */
async function loadEachAlone(turn: number): Promise<Record<Copy, Run>> {
  const k = turn % COPIES.length;
  const runs: Partial<Record<Copy, Run>> = {};
  for (const c of [...COPIES.slice(k), ...COPIES.slice(0, k)])
    runs[c] = (await loadRound(worker, framework, { [c]: services[c] }, 0, load))[c];
  return runs as Record<Copy, Run>;
}

/** Loads the copies (at once, or each alone), then collects what each service timed of its requests. */
async function measureRound(turn: number): Promise<Round> {
  const runs = values.alone
    ? await loadEachAlone(turn)
    : await loadRound(worker, framework, services, turn, load);
  const shares = await Promise.all(
    COPIES.map(async (c): Promise<Share> => {
      const { sample } = runs[c];
      const { timings } = await services[c].request<{ timings: number[] }>('timings');
      const server: number[] = [];
      const own: number[] = [];
      const due = new Set(sample.dueMs.map((d) => d.toFixed(4)));
      // [due, start, finish, waited] per request, from the service's SERVICE_TIMING hook.
      for (let i = 0; i + 3 < timings.length; i += 4) {
        if (!due.has((timings[i] as number).toFixed(4))) continue;
        const took = (timings[i + 2] as number) - (timings[i + 1] as number);
        server.push(took);
        own.push(took - (timings[i + 3] as number));
      }
      return {
        client: sample.latenciesMs,
        server,
        own,
        late: sample.lateMs,
        ok: sample.ok,
        failures: sample.failures,
        elapsedMs: sample.elapsedMs,
      };
    }),
  );
  return Object.fromEntries(COPIES.map((c, i) => [c, shares[i]])) as Round;
}

const pooledP99 = (rs: readonly Round[], c: Copy, m: Measure): number =>
  quantile(
    rs.flatMap((r) => r[c][m]),
    0.99,
  );

/** Deterministic resampling, so two reports of the same rounds agree. */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

interface Ratio {
  value: number;
  lo: number;
  hi: number;
}

/** The ratio of pooled p99s, and its 5th and 95th percentiles over 500 resamplings of the rounds. */
function ratio(rs: readonly Round[], a: Copy, b: Copy, m: Measure): Ratio {
  const value = pooledP99(rs, a, m) / pooledP99(rs, b, m);
  const next = lcg(rs.length * 7919);
  const draws: number[] = [];
  for (let i = 0; i < 500; i++) {
    const pick = rs.map(() => rs[Math.floor(next() * rs.length)] as Round);
    draws.push(pooledP99(pick, a, m) / pooledP99(pick, b, m));
  }
  return { value, lo: quantile(draws, 0.05), hi: quantile(draws, 0.95) };
}

const show = (r: Ratio) => `${r.value.toFixed(2)} (${r.lo.toFixed(2)}-${r.hi.toFixed(2)})`;

/**
 * Whether the fault keeps the p99 within 10% of fault-free: only when the twin shows the measurement
 * itself is good to 5% either way can the faulty copy's interval decide it.
 */
function verdict(faulty: Ratio, twin: Ratio): string {
  const noise = Math.max(1 - twin.lo, twin.hi - 1);
  if (noise > 0.05) return `undecided (noise ±${Math.round(noise * 100)}%)`;
  if (faulty.hi <= 1.1) return 'within 10%';
  if (faulty.lo > 1.1) return 'over 10%';
  return 'undecided';
}

if (values.realtime) {
  // Children inherit this until they are raised: a fast start even on a busy machine.
  try {
    setPriority(-10);
  } catch {}
}
const healthy = await startFaultyBackend();
const faultyBackend = await startFaultyBackend({ hangMs: 30_000, retryAfterSeconds: 1 });
const start = (variant: 'bare' | 'sightline', url?: string) =>
  startService({
    framework,
    variant,
    backendUrl: url,
    sightline: variant === 'sightline' ? { channel: CHANNEL } : undefined,
    env: { SERVICE_TIMING: '1' },
  });
const started = await Promise.all([
  start('bare'),
  start('sightline', healthy.url),
  start('sightline', healthy.url),
  start('sightline', faultyBackend.url),
]);
const services = Object.fromEntries(COPIES.map((c, i) => [c, started[i]])) as Record<Copy, ServiceProcess>;
const worker = await startLoadWorker();
// The generator above the services, so it sends on time even while they work.
const raised =
  values.realtime &&
  raisePriority(worker.pid, 30) &&
  COPIES.every((c) => raisePriority(services[c].child.pid, 20));
let turn = 0;
for (let i = 0; i < 4; i++) await measureRound(turn++);

console.log(
  `tail latency, ${framework} on Node ${process.version}: ${rounds} rounds of ${load.durationMs} ms`,
  `at ${load.rate} req/s per copy, per fault; ${raised ? 'real-time priority' : 'ordinary priority'}`,
);
const table: Record<string, string | number>[] = [];
for (const fault of faults) {
  await faultyBackend.setMode(fault);
  const rs: Round[] = [];
  for (let i = 0; i < rounds; i++) rs.push(await measureRound(turn++));
  const failures = rs.reduce((n, r) => n + COPIES.reduce((m, c) => m + r[c].failures, 0), 0);
  const rps = (c: Copy) =>
    rs.reduce((n, r) => n + r[c].ok, 0) / (rs.reduce((n, r) => n + r[c].elapsedMs, 0) / 1000);
  const row: Record<string, string | number> = { fault };
  for (const m of ['client', 'server', 'own'] as const) {
    const faulty = ratio(rs, 'faulty', 'faultFree', m);
    const twin = ratio(rs, 'twin', 'faultFree', m);
    Object.assign(row, {
      [`${m} p99 ms`]: COPIES.map((c) => pooledP99(rs, c, m).toFixed(1)).join(' / '),
      [`${m} faulty/fault-free`]: show(faulty),
      [`${m} twin/fault-free`]: show(twin),
      [`${m} faulty/control`]: show(ratio(rs, 'faulty', 'control', m)),
      [`${m} verdict`]: verdict(faulty, twin),
    });
  }
  Object.assign(row, {
    'generator late p99 ms': quantile(
      rs.flatMap((r) => r.faultFree.late),
      0.99,
    ).toFixed(1),
    'req/s faulty/fault-free': (rps('faulty') / rps('faultFree')).toFixed(3),
    requests: rs.reduce((n, r) => n + r.faulty.ok, 0),
    failures,
    load: (loadavg()[0] as number).toFixed(1),
  });
  table.push(row);
  console.log(JSON.stringify(row));
}
await faultyBackend.setMode('ok');
worker.close();
await Promise.all(COPIES.map((c) => services[c].stop()));
await Promise.all([healthy.close(), faultyBackend.close()]);
