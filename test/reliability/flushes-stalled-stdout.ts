/**
 * A service whose stdout nobody reads calls `forceFlush()` from twelve requests at once, as a
 * serverless handler flushing before it answers does: it reports on stderr the warnings the process
 * emitted and how long the flushes took, then exits.
 */
import { init } from '../../src/index.js';

const warnings: string[] = [];
process.on('warning', (w) => warnings.push(`${w.name}: ${w.message}`));
const obs = init({ service: 'stalled-flushes', outbound: false, anomaly: false });
const pad = 'x'.repeat(1000);
// 200 KB: more than the pipe holds, so a write stays in flight.
for (let i = 0; i < 200; i++) obs.log.info({ i, pad }, 'line');
const start = performance.now();
await Promise.all(Array.from({ length: 12 }, () => obs.forceFlush({ timeoutMs: 300 })));
const flushMs = performance.now() - start;
process.stderr.write(`${JSON.stringify({ flushMs, warnings })}\n`);
process.exit(0);
