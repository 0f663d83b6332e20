/**
 * A `node:cluster` primary whose environment holds a record of warnings given under its own pid
 * but made by another process (an environment dumped and loaded again, PID 1 in a container): it
 * loads sightline but runs no instance; its one worker calls init() twice, which gives SLWRN001.
 */
import cluster from 'node:cluster';
import { createHash } from 'node:crypto';

const message = 'init() was called again; the first instance is returned and the new options are ignored';
if (cluster.isPrimary) {
  const key = `SLWRN001:${createHash('sha256').update(message).digest('base64url').slice(0, 16)}`;
  process.env.SIGHTLINE_WARNINGS_GIVEN = `${process.pid} ${key}`;
}
const { init } = await import('../../src/index.js');
if (cluster.isPrimary) {
  cluster.setupPrimary({ execArgv: ['--import', 'tsx'] });
  cluster.fork().on('exit', () => process.exit(0));
} else {
  const options = { exporters: [], logStream: { write() {} }, anomaly: false } as const;
  const obs = init(options);
  init(options);
  await new Promise((done) => setTimeout(done, 50));
  await obs.shutdown();
  process.exit(0);
}
