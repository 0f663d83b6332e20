/**
 * A service that logs a burst of lines to stdout (argv[3] of them, 3,000 by default, of about
 * argv[4] bytes, 1,000 by default), then dies at once: argv[2]
 * `throw` crashes it on an uncaught exception, `exit` calls `process.exit(3)`, `shutdown` does once
 * `shutdown()` has returned (given 300 ms), `child` does once a command run before the burst with
 * its stdio (as a migration run at start is) has ended; `fatal` logs a fatal
 * line (pino then flushes synchronously) and lives on: it reports `fatalMs` on stderr, the time from
 * the end of the burst, logs one more line, shuts down and exits; `fatal-child` does once such a
 * command has ended.
 * Each line of the burst carries its number in `i`; `burst` on stderr says it starts. As it exits,
 * after sightline's exit flush, it reports on stderr `obs.drops()` and `exitMs`, the time from the
 * end of the burst.
 */
import { spawnSync } from 'node:child_process';
import { init } from '../../src/index.js';

const [how, lines = '3000', size = '1000'] = process.argv.slice(2);
const obs = init({ service: 'crash-burst', outbound: false, anomaly: false });
let burstEnd = 0;
process.on('exit', () => {
  const exitMs = performance.now() - burstEnd;
  process.stderr.write(`${JSON.stringify({ drops: obs.drops(), exitMs })}\n`);
});
if (how === 'child' || how === 'fatal-child') spawnSync('true', [], { stdio: 'inherit' });
const pad = 'x'.repeat(Number(size));
process.stderr.write('burst\n');
for (let i = 0; i < Number(lines); i++) obs.log.info({ i, pad }, 'line');
burstEnd = performance.now();
if (how === 'shutdown') await obs.shutdown({ timeoutMs: 300 });
if (how === 'exit' || how === 'shutdown' || how === 'child') process.exit(3);
if (how !== 'fatal' && how !== 'fatal-child') throw new Error('crashing after the burst');
obs.log.fatal('fatal');
const fatalMs = performance.now() - burstEnd;
process.stderr.write(`${JSON.stringify({ fatalMs })}\n`);
obs.log.info('after');
await obs.shutdown();
