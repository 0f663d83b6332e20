/**
 * A job that logs to a file through a plain `fs.WriteStream` (no pino flush), awaits `shutdown()`,
 * then calls `process.exit(0)`, as batch jobs and CLIs end.
 */
import { createWriteStream } from 'node:fs';
import { init } from '../../../src/index.js';

const logStream = createWriteStream(process.argv[2] as string);
const obs = init({ service: 'job', exporters: [], anomaly: false, outbound: false, logStream });
for (let i = 0; i < 2000; i++) obs.log.info({ i }, 'line');
await obs.shutdown();
process.exit(0);
