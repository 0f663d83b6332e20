/**
 * A `node:cluster` service: the primary forks two workers, each running sightline and counting the
 * same series, which it sends as OTLP/JSON to the collector at `process.argv[2]` before exiting.
 */
import cluster from 'node:cluster';
import { otlp } from '../../adapters/otlp/index.js';
import { init } from '../../src/index.js';

const [url] = process.argv.slice(2);
if (cluster.isPrimary) {
  cluster.setupPrimary({ execArgv: ['--import', 'tsx'] });
  for (let i = 0; i < 2; i++) cluster.fork();
} else {
  const obs = init({
    service: 'checkout',
    logStream: { write() {} },
    anomaly: false,
    outbound: false,
    exporters: [otlp({ url, protocol: 'http/json', env: {} })],
  });
  obs.metrics.counter('orders.placed').add(1);
  await obs.shutdown();
  process.exit(0);
}
