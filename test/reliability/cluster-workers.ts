/**
 * A `node:cluster` service: the primary forks two workers, each running sightline and counting the
 * same series, which it sends to the collector at `process.argv[2]` before exiting: as OTLP/JSON, or
 * to Elasticsearch by `_bulk` when `process.argv[3]` is `elastic`, with the API key `process.argv[4]`.
 */
import cluster from 'node:cluster';
import { elastic } from '../../adapters/elastic/index.js';
import { otlp } from '../../adapters/otlp/index.js';
import { init } from '../../src/index.js';

const [url = '', backend = 'otlp', apiKey] = process.argv.slice(2);
if (cluster.isPrimary) {
  cluster.setupPrimary({ execArgv: ['--import', 'tsx'] });
  for (let i = 0; i < 2; i++) cluster.fork();
} else {
  const obs = init({
    service: 'checkout',
    logStream: { write() {} },
    anomaly: false,
    outbound: false,
    exporters: [
      backend === 'elastic'
        ? elastic({ node: url, apiKey, traces: false, env: {} })
        : otlp({ url, protocol: 'http/json', env: {} }),
    ],
  });
  obs.metrics.counter('orders.placed').add(1);
  await obs.shutdown();
  process.exit(0);
}
