/**
 * A busy service whose graceful shutdown lasts several detection cycles (long-lived connections
 * let finish within Kubernetes' grace period): on SIGTERM it stops taking connections and ends
 * `argv[2]` ms later. handleSignals is on; the detector, at cycles of 200 ms, is past its warm-up
 * within the load the test sends. Writes `ready <port>` on stderr once listening, and each anomaly
 * event as `anomaly <json>`.
 */
import { drainDetectorOptions, serveOrders } from './drain-detector-options.js';

const drainMs = Number(process.argv[2]);
const server = serveOrders(drainDetectorOptions('drain'));
process.on('SIGTERM', () => {
  server.close();
  setTimeout(() => process.exit(0), drainMs);
});
