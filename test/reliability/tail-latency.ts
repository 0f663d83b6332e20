/**
 * The service's tail latency while its telemetry backend misbehaves, measured long enough to tell
 * a 10% difference from noise (the suite's nine one-second rounds cannot: on two shared cores two
 * identical services differ by 0.3x to 2.7x in p99 from one such round to the next).
 *
 * Four copies of the service run side by side under the same steady request rate, loaded at the
 * same moments: without sightline (control), with sightline and a healthy backend (fault-free),
 * an identical twin of that one (the noise floor: it differs from fault-free only by chance), and
 * with sightline and a backend that walks through every fault. Each fault gets `--rounds` rounds;
 * every answered request's latency is pooled per copy, so each p99 rests on thousands of requests,
 * and the ratios come with a 90% interval from resampling the rounds.
 *
 *   npm run tail-latency -- [--framework express|fastify] [--rounds 20] [--round-ms 2000] [--rate 250]
 */
import { parseArgs } from 'node:util';
import { FAULTS, type Fault, startFaultyBackend } from './faulty-backend.js';
import { median } from './load.js';
import { CHANNEL, loadRound, p99Of, type Run } from './rounds.js';
import { type Framework, type ServiceProcess, startService } from './service-process.js';
import { quantile, startLoadWorker } from './steady-load.js';

const { values } = parseArgs({
  options: {
    framework: { type: 'string', default: 'express' },
    rounds: { type: 'string', default: '20' },
    'round-ms': { type: 'string', default: '2000' },
    rate: { type: 'string', default: '250' },
    faults: { type: 'string', default: ['ok', ...FAULTS].join(',') },
  },
});
const framework = values.framework as Framework;
const rounds = Number(values.rounds);
const load = { rate: Number(values.rate), durationMs: Number(values['round-ms']) };
const faults = values.faults.split(',') as Fault[];

type Copy = 'control' | 'faultFree' | 'twin' | 'faulty';
const COPIES: readonly Copy[] = ['control', 'faultFree', 'twin', 'faulty'];

/** p99 of every request answered in the given rounds. */
function pooledP99(runs: readonly Run[]): number {
  return quantile(
    runs.flatMap((r) => r.sample.latenciesMs),
    0.99,
  );
}

/** Deterministic resampling, so two reports of the same rounds agree. */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

/** The ratio of pooled p99s, and its 5th and 95th percentiles over 500 resamplings of the rounds. */
function ratio(
  rs: readonly Record<Copy, Run>[],
  a: Copy,
  b: Copy,
): { value: number; lo: number; hi: number } {
  const value = pooledP99(rs.map((r) => r[a])) / pooledP99(rs.map((r) => r[b]));
  const next = lcg(rs.length * 7919);
  const draws: number[] = [];
  for (let i = 0; i < 500; i++) {
    const pick = rs.map(() => rs[Math.floor(next() * rs.length)] as Record<Copy, Run>);
    draws.push(pooledP99(pick.map((r) => r[a])) / pooledP99(pick.map((r) => r[b])));
  }
  return { value, lo: quantile(draws, 0.05), hi: quantile(draws, 0.95) };
}

const show = (r: { value: number; lo: number; hi: number }) =>
  `${r.value.toFixed(2)} (${r.lo.toFixed(2)}-${r.hi.toFixed(2)})`;

const healthy = await startFaultyBackend();
const faultyBackend = await startFaultyBackend({ hangMs: 30_000, retryAfterSeconds: 1 });
const withSightline = (url: string) =>
  startService({ framework, variant: 'sightline', backendUrl: url, sightline: { channel: CHANNEL } });
const started = await Promise.all([
  startService({ framework, variant: 'bare' }),
  withSightline(healthy.url),
  withSightline(healthy.url),
  withSightline(faultyBackend.url),
]);
const services = Object.fromEntries(COPIES.map((c, i) => [c, started[i]])) as Record<Copy, ServiceProcess>;
const worker = await startLoadWorker();
let turn = 0;
for (let i = 0; i < 4; i++) await loadRound(worker, framework, services, turn++, load);

console.log(
  `tail latency, ${framework} on Node ${process.version}: ${rounds} rounds of ${load.durationMs} ms`,
  `at ${load.rate} req/s per copy, per fault`,
);
const table: Record<string, string | number>[] = [];
for (const fault of faults) {
  await faultyBackend.setMode(fault);
  const rs: Record<Copy, Run>[] = [];
  for (let i = 0; i < rounds; i++) rs.push(await loadRound(worker, framework, services, turn++, load));
  const failures = rs.reduce((n, r) => n + COPIES.reduce((m, c) => m + r[c].sample.failures, 0), 0);
  const rps = (c: Copy) =>
    rs.reduce((n, r) => n + r[c].sample.ok, 0) / (rs.reduce((n, r) => n + r[c].sample.elapsedMs, 0) / 1000);
  const row = {
    fault,
    'p99 ms fault-free': Number(pooledP99(rs.map((r) => r.faultFree)).toFixed(2)),
    'faulty / fault-free': show(ratio(rs, 'faulty', 'faultFree')),
    'twin / fault-free': show(ratio(rs, 'twin', 'faultFree')),
    'faulty / control': show(ratio(rs, 'faulty', 'control')),
    'round p99 median ratio': Number(median(rs.map((r) => p99Of(r.faulty) / p99Of(r.faultFree))).toFixed(2)),
    'req/s faulty / fault-free': Number((rps('faulty') / rps('faultFree')).toFixed(3)),
    requests: rs.reduce((n, r) => n + r.faulty.sample.ok, 0),
    failures,
  };
  table.push(row);
  console.log(JSON.stringify(row));
}
await faultyBackend.setMode('ok');
console.table(table);
worker.close();
await Promise.all(COPIES.map((c) => services[c].stop()));
await Promise.all([healthy.close(), faultyBackend.close()]);
