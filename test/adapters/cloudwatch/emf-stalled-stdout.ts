/**
 * A service in emf mode whose stdout nobody reads: 300 collections each write an EMF document of
 * about 185 KB (55 MB in all). It reports the memory it grew by and its counts on stderr, then exits.
 */
import { startEmfService } from './emf-service.js';

const ROUNDS = 300;
const obs = startEmfService('emf-stalled');
// 100 gauges with long names share one dimension set, so each collection is one large document.
const gauges = Array.from({ length: 100 }, (_, g) =>
  obs.metrics.gauge(`queue.depth.${g}.${'q'.repeat(900)}`),
);

function held(): number {
  globalThis.gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

async function run(): Promise<void> {
  const before = held();
  for (let round = 0; round < ROUNDS; round++) {
    for (const gauge of gauges) gauge.record(round, { shard: 's'.repeat(1000) });
    // Each flush waits for stdout until its deadline; nothing reads it, so keep that short.
    await obs.forceFlush({ timeoutMs: 10 });
  }
  const growth = held() - before;
  process.stderr.write(
    `${JSON.stringify({ growth, metrics: obs.stats().cloudwatch?.metrics, drops: obs.drops() })}\n`,
  );
  process.exit(0);
}
void run();
