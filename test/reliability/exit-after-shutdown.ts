/**
 * A job that writes 6,000 log lines of about 2 KB (12 MB) and one EMF metric to stdout, awaits
 * `shutdown()`, then calls `process.exit(0)`, as batch jobs and CLIs end.
 */
import { cloudwatch } from '../../adapters/cloudwatch/index.js';
import { init } from '../../src/index.js';

const obs = init({ service: 'job', outbound: false, anomaly: false, exporters: [cloudwatch()] });
const pad = 'x'.repeat(2000);
for (let i = 0; i < 6000; i++) obs.log.info({ i, pad }, 'line');
obs.metrics.counter('jobs.done').add(1);
await obs.shutdown({ timeoutMs: 10_000 });
process.exit(0);
