/**
 * A service logging lines of about 2 KB to stdout at 4 MB/s for eight seconds: it reports on stderr
 * how many it wrote and what it dropped, awaits `shutdown()`, then calls `process.exit(0)`.
 */
import { init } from '../../src/index.js';

const LINES_PER_SECOND = 2000;
const SECONDS = 8;
const obs = init({ service: 'paced-logger', outbound: false, anomaly: false });
const pad = 'x'.repeat(1900);
let written = 0;
const start = performance.now();
const timer = setInterval(() => {
  const elapsed = performance.now() - start;
  const due = Math.min(Math.floor((elapsed / 1000) * LINES_PER_SECOND), LINES_PER_SECOND * SECONDS);
  while (written < due) obs.log.info({ i: written++, pad }, 'line');
  if (written < LINES_PER_SECOND * SECONDS) return;
  clearInterval(timer);
  process.stderr.write(`${JSON.stringify({ written, drops: obs.drops() })}\n`);
  void obs.shutdown({ timeoutMs: 3000 }).then(() => process.exit(0));
}, 10);
