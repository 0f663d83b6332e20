/**
 * A service whose stdout or stderr fails under it. argv[2]: `stdout`, it logs 100 lines to a stdout
 * whose writes fail (a full disk), then awaits `shutdown()`; `stderr`, with diagnostics on, it
 * exports to a port nobody listens on, so its diagnostics go to a stderr whose writes fail. It
 * reports on the other stream, as it exits, what it counted as dropped.
 */
import { writeSync } from 'node:fs';
import { otlp } from '../../adapters/otlp/index.js';
import { init } from '../../src/index.js';

const failing = process.argv[2] as 'stdout' | 'stderr';
const obs =
  failing === 'stdout'
    ? init({ service: 'job', outbound: false, anomaly: false })
    : init({
        service: 'job',
        outbound: false,
        anomaly: false,
        diagnostics: 'debug',
        logStream: { write() {} },
        exporters: [otlp({ url: 'http://127.0.0.1:1', channel: { flushIntervalMs: 50 } })],
      });
process.on('exit', (code) => {
  writeSync(failing === 'stdout' ? 2 : 1, `${JSON.stringify({ code, drops: obs.drops() })}\n`);
});
for (let i = 0; i < 100; i++) {
  obs.log.info({ i }, 'line');
  if (failing === 'stderr') obs.metrics.counter('jobs.done').add(1);
  // Across turns of the event loop, so writes and their failures come one after the other.
  await new Promise((resolve) => setTimeout(resolve, 2));
}
await obs.shutdown({ timeoutMs: 1000 });
