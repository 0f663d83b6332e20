/**
 * The reliability suite's load and faults for longer, with sightline's default channel settings
 * (10 s request timeout, the backend hanging 30 s): a service under steady loopback load while the
 * backend walks through every fault, one per period, healthy in between. Prints memory and
 * accounting each minute and the totals at the end; exits non-zero if accounting ever breaks, the
 * service fails a request or dies.
 *
 *   npm run soak -- --minutes 30 [--framework fastify] [--fault-seconds 60]
 */
import { parseArgs } from 'node:util';
import { describeStats, SIGNALS, unbalanced } from './accounting.js';
import { FAULTS, type Fault, startFaultyBackend } from './faulty-backend.js';
import { load } from './load.js';
import { type Framework, startService } from './service-process.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    framework: { type: 'string', default: 'express' },
    'fault-seconds': { type: 'string', default: '60' },
  },
});
const minutes = Number(values.minutes);
const framework = values.framework as Framework;
const faultMs = Number(values['fault-seconds']) * 1000;
const mb = (n: number) => `${(n / 1048576).toFixed(1)} MB`;

const backend = await startFaultyBackend({ hangMs: 30_000 });
const service = await startService({ framework, variant: 'sightline', backendUrl: backend.url });
const schedule: Fault[] = FAULTS.flatMap((f) => [f, 'ok' as const]);
const started = Date.now();
const end = started + minutes * 60_000;
let failures = 0;
let requests = 0;
let problems = 0;
let peak = { rss: 0, heapUsed: 0 };
let nextReport = started + 60_000;

console.log(`soak: ${framework} for ${minutes} min, each fault ${faultMs / 1000} s, backend ${backend.url}`);
for (let step = 0; Date.now() < end; step++) {
  const fault = schedule[step % schedule.length] as Fault;
  await backend.setMode(fault);
  const until = Math.min(end, Date.now() + faultMs);
  while (Date.now() < until) {
    const sample = await load(service.port, framework, Math.min(5000, until - Date.now() + 1), 16);
    failures += sample.failures;
    requests += sample.requests;
    const mem = await service.memory();
    peak = { rss: Math.max(peak.rss, mem.rss), heapUsed: Math.max(peak.heapUsed, mem.heapUsed) };
    if (Date.now() >= nextReport) {
      nextReport += 60_000;
      const stats = (await service.stats()).otlp ?? {};
      const bad = unbalanced(stats);
      problems += bad.length;
      const minute = Math.round((Date.now() - started) / 60_000);
      console.log(
        `\n[${minute} min] fault ${fault}; ${requests} requests, ${failures} failed; rss ${mb(mem.rss)}, heap after GC ${mb(mem.heapUsed)} (peak ${mb(peak.heapUsed)})`,
      );
      console.log(describeStats(stats));
      if (bad.length > 0) console.log(`ACCOUNTING BROKEN: ${bad.join('; ')}`);
    }
  }
}

await backend.setMode('ok');
const shut = await service.request<{ ms: number; stats: Record<string, Record<string, unknown>> }>(
  'shutdown',
  {
    timeoutMs: 15_000,
  },
);
const stats = (shut.stats.otlp ?? {}) as Parameters<typeof describeStats>[0];
console.log(`\nshutdown in ${Math.round(shut.ms)} ms; totals:\n${describeStats(stats)}`);
for (const signal of SIGNALS) {
  const s = stats[signal];
  if (!s) continue;
  const arrived = backend.received[signal];
  console.log(`${signal}: backend received ${arrived}, sightline delivered ${s.delivered}`);
  if (arrived !== s.delivered || s.queued !== 0) problems++;
}
problems += unbalanced(stats).length;
const alive = service.child.exitCode === null;
console.log(
  `\n${requests} requests, ${failures} failed; peak rss ${mb(peak.rss)}, peak heap after GC ${mb(peak.heapUsed)}; service ${alive ? 'alive' : 'DIED'}; stderr lines ${service.stderr().split('\n').filter(Boolean).length}`,
);
await service.stop();
await backend.close();
process.exit(problems === 0 && failures === 0 && alive ? 0 : 1);
