/**
 * A `node:cluster` service whose workers share the primary's stdout: the primary forks
 * `process.argv[2]` workers, each writing `process.argv[3]` log lines of about
 * `process.argv[4]` bytes and shutting down. With `elastic` as `process.argv[5]`, the lines are
 * ECS, for Elastic Agent or Filebeat (run it with OTEL_METRICS_EXPORTER=none: nothing is sent).
 */
import cluster from 'node:cluster';
import { elastic } from '../../adapters/elastic/index.js';
import { init } from '../../src/index.js';

const [workers = 4, lines = 1000, bytes = 1900] = process.argv.slice(2, 5).map(Number);
const format = process.argv[5];
if (cluster.isPrimary) {
  cluster.setupPrimary({ execArgv: ['--import', 'tsx'] });
  for (let i = 0; i < workers; i++) cluster.fork();
} else {
  const obs = init({
    service: 'checkout',
    anomaly: false,
    outbound: false,
    exporters:
      format === 'elastic'
        ? [elastic({ node: 'http://127.0.0.1:9', apiKey: 'key', logs: 'stdout', traces: false, env: {} })]
        : [],
  });
  const pad = 'x'.repeat(bytes);
  for (let i = 0; i < lines; i++) obs.log.info({ worker: cluster.worker?.id, i, pad }, 'order placed');
  await obs.shutdown();
  process.exit(0);
}
