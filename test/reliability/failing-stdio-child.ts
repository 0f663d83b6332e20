/**
 * A service whose stdout fails under it: it logs 100 lines to a stdout whose writes fail (a file on
 * a full disk), then awaits `shutdown()`, and reports on stderr, as it exits, what it counted as
 * dropped.
 */
import { writeSync } from 'node:fs';
import { init } from '../../src/index.js';

const obs = init({ service: 'job', outbound: false, anomaly: false });
process.on('exit', (code) => {
  writeSync(2, `${JSON.stringify({ code, drops: obs.drops() })}\n`);
});
for (let i = 0; i < 100; i++) {
  obs.log.info({ i }, 'line');
  // Across turns of the event loop, so writes and their failures come one after the other.
  await new Promise((resolve) => setTimeout(resolve, 2));
}
await obs.shutdown({ timeoutMs: 1000 });
