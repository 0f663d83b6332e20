/**
 * A service kept alive by a server, with handleSignals on and signal-exit (which execa,
 * write-file-atomic and many more load) listening too, registered before or after init().
 * argv: <none|before|after> <collector url>. Writes `ready` on stderr once listening.
 */
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { otlp } from '../../adapters/otlp/index.js';
import { init } from '../../src/index.js';

const [when, url] = process.argv.slice(2) as ['none' | 'before' | 'after', string];
const onExit = createRequire(import.meta.url)('signal-exit') as (callback: () => void) => () => void;
if (when === 'before') onExit(() => {});
const obs = init({
  service: 'signals',
  exporters: [otlp({ url, protocol: 'http/json', env: {} })],
  logStream: { write: () => {} },
  handleSignals: true,
  shutdownTimeout: 2000,
  metricInterval: 3_600_000,
  anomaly: false,
});
if (when === 'after') onExit(() => {});
for (let i = 0; i < 20; i++) obs.trace('work', () => {});
createServer((_req, res) => res.end('ok')).listen(0, '127.0.0.1', () => process.stderr.write('ready\n'));
