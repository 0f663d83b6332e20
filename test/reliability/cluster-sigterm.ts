/**
 * A `node:cluster` service: the primary forks two workers, each serving HTTP on a shared port with
 * sightline counting orders.placed, sent as OTLP/JSON to the collector at `process.argv[2]`. With
 * `process.argv[3]` `disconnect`, the primary handles SIGTERM with `cluster.disconnect()`; with
 * `none`, it leaves SIGTERM to Node. With `process.argv[4]` `on`, the workers' sightline has
 * handleSignals on. Writes `ready` on stderr once both workers have recorded.
 */
import cluster from 'node:cluster';
import { createServer } from 'node:http';
import { otlp } from '../../adapters/otlp/index.js';
import { init } from '../../src/index.js';

const [url = '', primarySigterm = 'disconnect', workerSignals = 'off'] = process.argv.slice(2);
if (cluster.isPrimary) {
  cluster.setupPrimary({ execArgv: ['--import', 'tsx'] });
  if (primarySigterm === 'disconnect') process.on('SIGTERM', () => cluster.disconnect());
  let recorded = 0;
  for (let i = 0; i < 2; i++)
    cluster.fork().on('message', () => {
      if (++recorded === 2) process.stderr.write('ready\n');
    });
} else {
  const obs = init({
    service: 'checkout',
    logStream: { write() {} },
    handleSignals: workerSignals === 'on',
    metricInterval: 3_600_000,
    anomaly: false,
    outbound: false,
    exporters: [otlp({ url, protocol: 'http/json', env: {} })],
  });
  createServer((_req, res) => res.end('ok')).listen(0, '127.0.0.1', () => {
    obs.metrics.counter('orders.placed').add(1);
    process.send?.('recorded');
  });
}
