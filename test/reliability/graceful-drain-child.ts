/**
 * A service with a graceful shutdown of its own, as Kubernetes services have: on SIGTERM it stops
 * taking connections and lets the requests in flight finish. handleSignals is on.
 * argv: <collector url> [once-first]: with once-first its handler is a `process.once` listener
 * registered before init(). Writes `ready <port>` on stderr once listening, `started` per request.
 */
import { createServer } from 'node:http';
import { otlp } from '../../adapters/otlp/index.js';
import { init } from '../../src/index.js';

const [url, mode] = process.argv.slice(2) as [string, string | undefined];
const drain = () => {
  obs.log.info('draining');
  server.close(() => obs.log.info('drained'));
};
if (mode === 'once-first') process.once('SIGTERM', drain);
const obs = init({
  service: 'drain',
  exporters: [otlp({ url, protocol: 'http/json', env: {} })],
  logStream: { write: () => {} },
  handleSignals: true,
  shutdownTimeout: 2000,
  metricInterval: 3_600_000,
  outbound: false,
  anomaly: false,
});
const server = createServer((_req, res) => {
  process.stderr.write('started\n');
  void obs.trace('slow work', async () => {
    await new Promise((resolve) => setTimeout(resolve, 300));
    obs.log.info('work done');
    res.end('ok');
  });
});
if (mode !== 'once-first') process.on('SIGTERM', drain);
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (typeof address === 'object' && address) process.stderr.write(`ready ${address.port}\n`);
});
