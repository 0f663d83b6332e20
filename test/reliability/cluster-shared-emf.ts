/**
 * A `node:cluster` service writing CloudWatch EMF to the stdout pipe its workers share: the primary
 * forks `process.argv[2]` workers, each adding 1 to `process.argv[4]` counters of long names, then
 * collecting, `process.argv[3]` times, so each collection's document is several kilobytes.
 */
import cluster from 'node:cluster';
import { cloudwatch } from '../../adapters/cloudwatch/index.js';
import { init } from '../../src/index.js';

const [workers = 4, rounds = 200, counters = 60] = process.argv.slice(2).map(Number);
if (cluster.isPrimary) {
  cluster.setupPrimary({ execArgv: ['--import', 'tsx'] });
  for (let i = 0; i < workers; i++) cluster.fork();
} else {
  const obs = init({
    service: 'checkout',
    anomaly: false,
    outbound: false,
    metricInterval: 3_600_000,
    exporters: [cloudwatch({ namespace: 'Shop' })],
  });
  const names = Array.from({ length: counters }, (_, i) => `checkout.orders.placed.by.region.${i}`);
  const instruments = names.map((name) => obs.metrics.counter(name));
  for (let r = 0; r < rounds; r++) {
    for (const counter of instruments) counter.add(1, { worker: String(cluster.worker?.id) });
    await obs.forceFlush();
  }
  await obs.shutdown();
  process.exit(0);
}
