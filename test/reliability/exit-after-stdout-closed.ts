/**
 * A job whose stdout's reader has gone (`node job.js | head -1` once head has exited): it writes
 * 200 log lines of about 1 KB, flushes while the write stdout refuses is in flight, writes more,
 * awaits `shutdown()` at the top level, and reports on stderr how long each took and what it counted
 * as dropped before it exits.
 */
import { init } from '../../src/index.js';

const obs = init({ service: 'job', outbound: false, anomaly: false });
const pad = 'x'.repeat(1000);
for (let i = 0; i < 200; i++) obs.log.info({ i, pad }, 'line');
let start = performance.now();
await obs.forceFlush({ timeoutMs: 3000 });
const flushMs = performance.now() - start;
for (let i = 0; i < 200; i++) obs.log.info({ i, pad }, 'line');
start = performance.now();
await obs.shutdown({ timeoutMs: 3000 });
const shutdownMs = performance.now() - start;
process.stderr.write(`${JSON.stringify({ flushMs, shutdownMs, drops: obs.drops() })}\n`);
process.exit(0);
