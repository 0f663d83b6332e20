/**
 * A service on dd-trace that ends right after its spans: `exit` awaits shutdown() then calls
 * process.exit(); `signal` waits for SIGTERM with handleSignals on. argv: <agent url> <exit|signal>.
 */
import { datadog } from '../../../adapters/datadog/index.js';
import { init } from '../../../src/index.js';

const [url, how] = process.argv.slice(2) as [string, 'exit' | 'signal'];
const obs = init({
  service: 'ddt',
  environment: 'test',
  handleSignals: how === 'signal',
  anomaly: false,
  outbound: false,
  logStream: { write: () => {} },
  exporters: [
    datadog({
      apiKey: 'k'.repeat(32),
      traces: 'dd-trace',
      metrics: 'none',
      events: false,
      endpoints: { traces: url },
      processEnv: {},
    }),
  ],
});
for (let i = 0; i < 20; i++) obs.trace(`exit-op-${i}`, () => 1);
if (how === 'signal') {
  setInterval(() => {}, 1000);
  process.stderr.write('ready\n');
} else {
  await obs.shutdown({ timeoutMs: 3000 });
  process.exit(0);
}
