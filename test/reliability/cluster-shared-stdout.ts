/**
 * A `node:cluster` service whose workers share the primary's stdout: the primary forks
 * `process.argv[2]` workers, each writing `process.argv[3]` log lines of about
 * `process.argv[4]` bytes and shutting down.
 */
import cluster from 'node:cluster';
import { init } from '../../src/index.js';

const [workers = 4, lines = 1000, bytes = 1900] = process.argv.slice(2).map(Number);
if (cluster.isPrimary) {
  cluster.setupPrimary({ execArgv: ['--import', 'tsx'] });
  for (let i = 0; i < workers; i++) cluster.fork();
} else {
  const obs = init({ service: 'checkout', anomaly: false, outbound: false, exporters: [] });
  const pad = 'x'.repeat(bytes);
  for (let i = 0; i < lines; i++) obs.log.info({ worker: cluster.worker?.id, i, pad }, 'order placed');
  await obs.shutdown();
  process.exit(0);
}
