/**
 * One log benchmark variant in a process of its own:
 * `node --import tsx bench/log-worker.ts <raw|sightline> <info|debug> <n> <rounds>` prints the
 * median ns per call. A service has one logger; two pino instances in one process share pino's
 * functions and slow each other down by a margin that depends on which ran first.
 */
import pino from 'pino';
import { init } from '../src/index.js';
import type { SightlineAdapter } from '../src/export/types.js';

const [variant = 'raw', level = 'info', nArg = '200000', roundsArg = '7'] = process.argv.slice(2);
const n = Number(nArg);
const rounds = Number(roundsArg);
const discard = { write(_line: string) {} };
/** No exporters: the line goes to the discarding stream only, as the raw logger's does. */
const silentAdapter: SightlineAdapter = { name: 'discard', setup: () => ({}) };

// Raw pino writes the same line as sightline's (level names, the same base fields), so the ratio is
// what the wrapping costs rather than what a longer line costs.
const log =
  variant === 'raw'
    ? pino(
        {
          base: { 'service.name': 'bench', 'deployment.environment.name': 'development' },
          timestamp: pino.stdTimeFunctions.epochTime,
          formatters: { level: (label) => ({ level: label }) },
        },
        discard,
      )
    : init({
        service: 'bench',
        exporters: [silentAdapter],
        logStream: discard,
        outbound: false,
        anomaly: false,
        handleSignals: false,
        environment: 'development',
      }).log;

const call =
  level === 'info'
    ? (i: number) => log.info({ orderId: i }, 'order placed')
    : (i: number) => log.debug({ orderId: i }, 'x');

if (process.env.PRINT_LINE) {
  const line = (l: string) => process.stderr.write(l);
  discard.write = line;
  call(0);
  discard.write = () => {};
}
for (let i = 0; i < Math.min(n, 50_000); i++) call(i);
const samples: number[] = [];
for (let r = 0; r < rounds; r++) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) call(i);
  samples.push(Number(process.hrtime.bigint() - start) / n);
}
samples.sort((a, b) => a - b);
process.stdout.write(`${samples[Math.floor(samples.length / 2)]}\n`);
process.exit(0);
