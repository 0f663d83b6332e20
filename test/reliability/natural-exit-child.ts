/**
 * A job that ends on its own, without `shutdown()`: it records a span, a metric point, a log line
 * and an anomaly event bound for the collector and returns, leaving the event loop to empty.
 * argv: <how it ends> <collector url>. `return` just returns; `exit-code` sets process.exitCode = 3
 * first; `more-work` has a beforeExit listener of its own that schedules more work once, which
 * records too; `worker` runs the job in a worker thread that returns; `in-flight` works on for
 * 300 ms after recording, while a batch is sent, and ends with that request still in flight;
 * `shared-agent` limits Node's global agent to one socket per host and, while a batch is in flight,
 * makes a call of its own to the collector's host (GET /work), exiting 0 only once it is answered.
 */
import { get, globalAgent } from 'node:http';
import { Worker } from 'node:worker_threads';
import { cloudwatch } from '../../adapters/cloudwatch/index.js';
import { otlp } from '../../adapters/otlp/index.js';
import type { SightlineInstance } from '../../src/api/sightline.js';
import { init } from '../../src/index.js';
import { ANOMALY } from '../adapters/otlp/helpers.js';

const [how, url] = process.argv.slice(2) as [string, string];
if (how === 'worker') new Worker(new URL(import.meta.url), { argv: ['return', url] });
else job();

function job() {
  const obs = init({
    service: 'job',
    exporters: [
      how === 'cloudwatch-in-flight'
        ? cloudwatch({
            mode: 'api',
            region: 'us-east-1',
            endpoints: { metrics: url, logs: url },
            credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
            channel: { flushIntervalMs: 50 },
          } as never)
        : otlp({
            url,
            protocol: 'http/json',
            env: {},
            ...(how === 'in-flight' ? { channel: { flushIntervalMs: 50 } } : {}),
          }),
    ],
    logStream: { write: () => {} },
    shutdownTimeout: how === 'shared-agent' ? 1000 : 2000,
    metricInterval: 3_600_000,
    outbound: false,
    anomaly: false,
  });
  (obs as SightlineInstance).emitAnomaly(ANOMALY);
  obs.trace('job', () => {
    obs.metrics.counter('jobs.done').add(1);
    obs.log.info('job done');
  });
  // Tells the test its job has recorded: the time to end is counted from here.
  process.stdout.write('recorded\n');
  if (how === 'exit-code') process.exitCode = 3;
  if (how.endsWith('in-flight')) setTimeout(() => {}, 300);
  if (how === 'shared-agent') {
    globalAgent.maxSockets = 1;
    process.exitCode = 4;
    void obs.forceFlush();
    // Queued behind the batch in flight, it takes that batch's socket once it is answered.
    setTimeout(() => {
      get(`${url}/work`, (res) => {
        res.resume();
        res.on('end', () => {
          process.exitCode = 0;
        });
      });
    }, 20);
  }
  if (how === 'more-work') {
    let once = false;
    process.on('beforeExit', () => {
      if (once) return;
      once = true;
      setTimeout(() => obs.trace('late work', () => obs.log.info('late work done')), 200);
    });
  }
}
