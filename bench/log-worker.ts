/**
 * The log call against raw pino, in a process of their own:
 * `node --import tsx bench/log-worker.ts <info|debug> <n> <rounds>` prints the median ns per call
 * of raw pino and of sightline, one line each. A service has one logger: two loggers sharing one
 * copy of pino share its functions' type feedback and slow each other down, by a margin that
 * depends on which warmed up first. Raw pino is therefore a second copy of the module, loaded after
 * sightline's, and the two alternate round by round in the same process (same core, same heap).
 */
import { createRequire } from 'node:module';
import type pinoType from 'pino';
import { init } from '../src/index.js';
import type { SightlineAdapter } from '../src/export/types.js';
import { median } from './harness.js';

const [level = 'info', nArg = '100000', roundsArg = '10'] = process.argv.slice(2);
const n = Number(nArg);
const rounds = Number(roundsArg);
const discardSightline = { write(_line: string) {} };
const discardRaw = { write(_line: string) {} };
/** No exporters: the line goes to the discarding stream only, as the raw logger's does. */
const silentAdapter: SightlineAdapter = { name: 'discard', setup: () => ({}) };

const sightline = init({
  service: 'bench',
  exporters: [silentAdapter],
  logStream: discardSightline,
  outbound: false,
  anomaly: false,
  handleSignals: false,
  environment: 'development',
}).log;

const require = createRequire(import.meta.url);
for (const key of Object.keys(require.cache)) delete require.cache[key];
const pino = require('pino') as typeof pinoType;
// Raw pino writes the same line as sightline's (level names, the same base fields), so the ratio is
// what the wrapping costs rather than what a longer line costs.
const raw = pino(
  {
    base: { 'service.name': 'bench', 'deployment.environment.name': 'development' },
    timestamp: pino.stdTimeFunctions.epochTime,
    formatters: { level: (label) => ({ level: label }) },
  },
  discardRaw,
);

type Log = typeof raw;
const loop =
  level === 'info'
    ? (log: Log) => {
        for (let i = 0; i < n; i++) log.info({ orderId: i }, 'order placed');
      }
    : (log: Log) => {
        for (let i = 0; i < n; i++) log.debug({ orderId: i }, 'x');
      };

if (process.env.PRINT_LINE) {
  discardSightline.write = discardRaw.write = (l: string) => process.stderr.write(l);
  sightline.info({ orderId: 0 }, 'order placed');
  raw.info({ orderId: 0 }, 'order placed');
  process.exit(0);
}

const samples = { raw: [] as number[], sightline: [] as number[] };
const time = (log: Log) => {
  const start = process.hrtime.bigint();
  loop(log);
  return Number(process.hrtime.bigint() - start) / n;
};
time(raw);
time(sightline as Log);
for (let r = 0; r < rounds; r++) {
  if (r % 2 === 0) {
    samples.raw.push(time(raw));
    samples.sightline.push(time(sightline as Log));
  } else {
    samples.sightline.push(time(sightline as Log));
    samples.raw.push(time(raw));
  }
}
process.stdout.write(`${median(samples.raw)}\n${median(samples.sightline)}\n`);
process.exit(0);
