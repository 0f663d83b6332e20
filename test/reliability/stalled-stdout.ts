/**
 * A process logging through sightline to a stdout nobody reads: it writes 150,000 lines of about
 * 1 KB, reports its heap growth and drops on stderr, then calls `process.exit(0)`.
 */
import { init } from '../../src/index.js';

const LINES = 150_000;
const obs = init({ service: 'stalled-stdout', outbound: false, anomaly: false });
const pad = 'x'.repeat(1000);
const heapBefore = process.memoryUsage().heapUsed;
let i = 0;

function batch(): void {
  for (let k = 0; k < 10_000; k++) obs.log.info({ i: i++, pad }, 'line');
  if (i < LINES) {
    setImmediate(batch);
    return;
  }
  globalThis.gc?.();
  const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
  process.stderr.write(`${JSON.stringify({ heapGrowth, drops: obs.drops() })}\n`);
  process.exit(0);
}
batch();
