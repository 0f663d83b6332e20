/**
 * A service in emf mode whose stdout's reader has gone (a closed pipe): it writes a document, waits
 * for stdout to fail, writes ten more, and reports its counts on stderr, then exits.
 */
import { startEmfService } from './emf-service.js';

const obs = startEmfService('emf-closed');
const depth = obs.metrics.gauge('queue.depth');

async function run(): Promise<void> {
  depth.record(0);
  await obs.forceFlush({ timeoutMs: 100 });
  // The write fails in the background; give it time to.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const first = obs.stats().cloudwatch?.metrics;
  for (let round = 1; round <= 10; round++) {
    depth.record(round);
    await obs.forceFlush({ timeoutMs: 100 });
  }
  process.stderr.write(`${JSON.stringify({ first, metrics: obs.stats().cloudwatch?.metrics })}\n`);
  process.exit(0);
}
void run();
