/**
 * The log call against raw pino, in a process of their own:
 * `node --import tsx bench/log-worker.ts <info|debug|ids|rawHeaders> <n> <rounds>` prints the
 * median ns per call of raw pino and of sightline, one line each. A service has one logger: two
 * loggers sharing one copy of pino share its functions' type feedback and slow each other down, by
 * a margin that depends on which warmed up first. Raw pino is therefore a second copy of the module, loaded after
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
/** 50 ids, as a batch job logs the orders it handled: an array of strings that holds no header. */
const ids = Array.from(
  { length: 50 },
  (_, i) => `7c9e6679-7425-40de-944b-e07fc1f9${String(i).padStart(4, '0')}`,
);
/** A request's headers as Node holds them, none to hide, under a key of the caller's. */
const rawHeaders = [
  'Host',
  'api.example.com',
  'User-Agent',
  'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  'Accept',
  'application/json',
  'Accept-Language',
  'en-US,en;q=0.5',
  'Accept-Encoding',
  'gzip, deflate, br',
  'Connection',
  'keep-alive',
  'X-Request-Id',
  'b7c1e6a2-1d3f-4e9a-8c2b-0f6d5a4e3c21',
  'Content-Type',
  'application/json',
];
const loops: Record<string, (log: Log) => void> = {
  info: (log) => {
    for (let i = 0; i < n; i++) log.info({ orderId: i }, 'order placed');
  },
  debug: (log) => {
    for (let i = 0; i < n; i++) log.debug({ orderId: i }, 'x');
  },
  ids: (log) => {
    for (let i = 0; i < n; i++) log.info({ batch: i, orderIds: ids }, 'orders shipped');
  },
  rawHeaders: (log) => {
    for (let i = 0; i < n; i++) log.info({ attempt: i, forwarded: rawHeaders }, 'proxied');
  },
};
const loop = loops[level] ?? loops.info!;

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
