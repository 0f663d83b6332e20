/**
 * The service's tail latency while its telemetry backend misbehaves, measured long enough to tell
 * a 10% difference from noise (the suite's nine one-second rounds cannot).
 *
 * Three copies of the service run under the same steady request rate, on one schedule (request k
 * is due at the same moment for each): one without sightline (control), and two with sightline (A
 * and B), each exporting to a backend of its own. Each fault is measured as a crossover: for half
 * its rounds A's backend has the fault while B's is healthy, then the roles swap. Two processes
 * running the same code can differ by 10% at the p99 for no reason but their own (heap layout, what
 * the JIT chose), and a comparison of two copies carries that bias; the crossover cancels it. The
 * faulty/fault-free ratio is the geometric mean of the two halves' ratios, each of pooled p99s;
 * `a/b` is what remains of the process bias, and the `ok` row (both backends healthy) is the A/A
 * test: its ratio shows how far the measurement itself strays. Every ratio comes with a 90%
 * interval from resampling each half's rounds.
 *
 * Between the halves, the copy whose backend recovered is given time to deliver what it held, and
 * one round is run and thrown away, so neither half starts in the other's aftermath.
 *
 * With `--alone`, each round loads one copy at a time instead (the order turning from round to
 * round), so a copy's tail is its own and not the others' share of the two cores; copies are then
 * compared across neighbouring moments instead of the same ones.
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
 *   npm run tail-latency -- [--framework express|fastify] [--rounds 20] [--round-ms 2000] [--rate 250]
 *     [--faults ok,refuse,...] [--realtime] [--alone]
 */
import { loadavg, setPriority } from 'node:os';
import { parseArgs } from 'node:util';
import { FAULTS, type Fault, type FaultyBackend, startFaultyBackend } from './faulty-backend.js';
import { raisePriority } from './realtime.js';
import { CHANNEL, loadRound, type Run, turned } from './rounds.js';
import { type Framework, type ServiceProcess, startService } from './service-process.js';
import { quantile, startLoadWorker } from './steady-load.js';

const { values } = parseArgs({
  options: {
    framework: { type: 'string', default: 'express' },
    rounds: { type: 'string', default: '20' },
    'round-ms': { type: 'string', default: '2000' },
    rate: { type: 'string', default: '250' },
    faults: { type: 'string', default: ['ok', ...FAULTS].join(',') },
    realtime: { type: 'boolean', default: false },
    alone: { type: 'boolean', default: false },
  },
});
const framework = values.framework as Framework;
const half = Math.max(1, Math.round(Number(values.rounds) / 2));
const load = { rate: Number(values.rate), durationMs: Number(values['round-ms']) };
const faults = values.faults.split(',') as Fault[];

type Copy = 'control' | 'a' | 'b';
type Subject = Exclude<Copy, 'control'>;
const COPIES: readonly Copy[] = ['control', 'a', 'b'];
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
/** Half a crossover: the rounds run while `faulty`'s backend had the fault and the other's did not. */
interface Half {
  faulty: Subject;
  rounds: Round[];
}
const other = (s: Subject): Subject => (s === 'a' ? 'b' : 'a');

/** Loads each copy in turn, the order turning from round to round, so no copy always goes first. */
async function loadEachAlone(turn: number): Promise<Record<Copy, Run>> {
  const runs: Partial<Record<Copy, Run>> = {};
  for (const c of turned(COPIES, turn))
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

/** Runs half a crossover: `faulty`'s backend gets the fault, the other's is healthy. */
async function runHalf(fault: Fault, faulty: Subject): Promise<Half> {
  await backends[other(faulty)].setMode('ok');
  await backends[faulty].setMode(fault);
  // The recovered copy delivers what it held first (10 s at most).
  await services[other(faulty)].request('flush', { timeoutMs: 10_000 });
  // Thrown away: the fault's first moments and the other copy's recovery are not this half's state.
  await measureRound(turn++);
  const rounds: Round[] = [];
  for (let i = 0; i < half; i++) rounds.push(await measureRound(turn++));
  return { faulty, rounds };
}

const pooledP99 = (rs: readonly Round[], c: Copy, m: Measure): number =>
  quantile(
    rs.flatMap((r) => r[c][m]),
    0.99,
  );
const rps = (rs: readonly Round[], c: Copy): number =>
  rs.reduce((n, r) => n + r[c].ok, 0) / (rs.reduce((n, r) => n + r[c].elapsedMs, 0) / 1000);

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

/** Of each half, the copy on top of the ratio and the one below it. */
type Pair = (h: Half) => [Copy, Copy];
const FAULTY_OVER_FAULT_FREE: Pair = (h) => [h.faulty, other(h.faulty)];
const A_OVER_B: Pair = () => ['a', 'b'];
const FAULTY_OVER_CONTROL: Pair = (h) => [h.faulty, 'control'];

/** The geometric mean over the halves of `of(rounds, top) / of(rounds, bottom)`. */
function crossed(halves: readonly Half[], pair: Pair, of: (rs: readonly Round[], c: Copy) => number): number {
  let log = 0;
  for (const h of halves) {
    const [top, bottom] = pair(h);
    log += Math.log(of(h.rounds, top) / of(h.rounds, bottom));
  }
  return Math.exp(log / halves.length);
}

/** A crossed ratio, and its 5th and 95th percentiles over 500 resamplings of each half's rounds. */
function ratio(halves: readonly Half[], pair: Pair, of: (rs: readonly Round[], c: Copy) => number): Ratio {
  const value = crossed(halves, pair, of);
  const next = lcg(halves.reduce((n, h) => n + h.rounds.length, 0) * 7919);
  const draws: number[] = [];
  for (let i = 0; i < 500; i++) {
    const resampled = halves.map((h) => ({
      faulty: h.faulty,
      rounds: h.rounds.map(() => h.rounds[Math.floor(next() * h.rounds.length)] as Round),
    }));
    draws.push(crossed(resampled, pair, of));
  }
  return { value, lo: quantile(draws, 0.05), hi: quantile(draws, 0.95) };
}

const show = (r: Ratio) => `${r.value.toFixed(2)} (${r.lo.toFixed(2)}-${r.hi.toFixed(2)})`;

/** Within 10% only when the whole 90% interval is; over it only when the whole interval is above. */
function verdict(r: Ratio): string {
  if (r.hi <= 1.1) return 'within 10%';
  if (r.lo > 1.1) return 'over 10%';
  return 'undecided';
}

if (values.realtime) {
  // Children inherit this until they are raised: a fast start even on a busy machine.
  try {
    setPriority(-10);
  } catch {}
}
const backendOptions = { hangMs: 30_000, retryAfterSeconds: 1 };
const backends: Record<Subject, FaultyBackend> = {
  a: await startFaultyBackend(backendOptions),
  b: await startFaultyBackend(backendOptions),
};
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
  start('sightline', backends.a.url),
  start('sightline', backends.b.url),
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
  `tail latency, ${framework} on Node ${process.version}: per fault, ${half} rounds of ${load.durationMs} ms`,
  `with A's backend faulty, then ${half} with B's, at ${load.rate} req/s per copy;`,
  `${raised ? 'real-time priority' : 'ordinary priority'}`,
);
for (const [i, fault] of faults.entries()) {
  // Which copy meets the fault first alternates, so neither always follows a recovery.
  const first: Subject = i % 2 === 0 ? 'a' : 'b';
  const halves = [await runHalf(fault, first), await runHalf(fault, other(first))];
  const row: Record<string, string | number> = { fault };
  for (const m of ['client', 'server', 'own'] as const) {
    const p99 = (rs: readonly Round[], c: Copy) => pooledP99(rs, c, m);
    const faulty = ratio(halves, FAULTY_OVER_FAULT_FREE, p99);
    Object.assign(row, {
      [`${m} p99 ms control/a/b`]: halves
        .map((h) => COPIES.map((c) => p99(h.rounds, c).toFixed(1)).join('/'))
        .join(', '),
      [`${m} faulty/fault-free`]: show(faulty),
      [`${m} a/b`]: show(ratio(halves, A_OVER_B, p99)),
      [`${m} faulty/control`]: show(ratio(halves, FAULTY_OVER_CONTROL, p99)),
      [`${m} verdict`]: verdict(faulty),
    });
  }
  const all = halves.flatMap((h) => h.rounds);
  Object.assign(row, {
    'generator late p99 ms': quantile(
      all.flatMap((r) => r.control.late),
      0.99,
    ).toFixed(1),
    'req/s faulty/fault-free': crossed(halves, FAULTY_OVER_FAULT_FREE, rps).toFixed(3),
    requests: halves.reduce((n, h) => n + h.rounds.reduce((k, r) => k + r[h.faulty].ok, 0), 0),
    failures: all.reduce((n, r) => n + COPIES.reduce((k, c) => k + r[c].failures, 0), 0),
    load: (loadavg()[0] as number).toFixed(1),
  });
  console.log(JSON.stringify(row));
}
// Healthy backends, so each copy's shutdown delivers what it holds instead of waiting out a fault.
await Promise.all([backends.a.setMode('ok'), backends.b.setMode('ok')]);
worker.close();
await Promise.all(COPIES.map((c) => services[c].stop()));
await Promise.all([backends.a.close(), backends.b.close()]);
