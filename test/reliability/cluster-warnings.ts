/**
 * A `node:cluster` service whose entry calls init() before forking, as an app does that loads
 * sightline first thing: the primary and its two workers run the same configuration, which gives
 * each of sightline's warnings (SLWRN001, SLWRN002, SLWRN003), and the workers exit.
 */
import cluster from 'node:cluster';
import { init } from '../../src/index.js';

const options = { exporters: { production: [] }, logStream: { write() {} }, anomaly: false } as const;
const obs = init(options);
init(options);
obs.metrics.counter('orders.placed', { unit: '{order}' });
obs.metrics.counter('orders.placed', { unit: 'ms' });
if (cluster.isPrimary) {
  cluster.setupPrimary({ execArgv: ['--import', 'tsx'] });
  for (let i = 0; i < 2; i++) cluster.fork();
  let left = 2;
  cluster.on('exit', () => {
    if (--left === 0) void obs.shutdown().then(() => process.exit(0));
  });
} else {
  // A worker serves for a while: its warnings are written on a later tick.
  await new Promise((done) => setTimeout(done, 50));
  await obs.shutdown();
  process.exit(0);
}
