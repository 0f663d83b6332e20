/**
 * A service on dd-trace: an Express route that logs and calls another service, shut down and
 * exited right after its one request. Prints its log lines and the dd-trace package it loaded as
 * JSON. argv: <agent url> <downstream url>.
 */
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import express from 'express';
import { datadog } from '../../../adapters/datadog/index.js';
import { expressMiddleware } from '../../../src/integrations/express/index.js';
import { init } from '../../../src/index.js';
import { close, listen } from '../../integration/helpers/http-client.js';

const [agent, downstream] = process.argv.slice(2) as [string, string];
const lines: string[] = [];
const obs = init({
  service: 'checkout',
  environment: 'prod',
  version: '1.4.2',
  anomaly: false,
  handleSignals: false,
  logStream: { write: (line: string) => lines.push(line) },
  exporters: [
    datadog({
      apiKey: 'k'.repeat(32),
      processEnv: {},
      metrics: 'none',
      events: false,
      traces: 'dd-trace',
      tags: ['team:payments'],
      endpoints: { traces: agent },
      // Longer than the run: the spans reach the Agent only if shutdown() sends them.
      ddTrace: { flushInterval: 60_000 },
    }),
  ],
});

const app = express();
app.use(expressMiddleware());
app.get('/orders/:id', async (_req, res) => {
  obs.trace('price-order', () => 12);
  obs.log.info('order placed');
  await (await fetch(`${downstream}/stock`)).text();
  res.send('ok');
});
const server = createServer(app);
const base = await listen(server);
await (await fetch(`${base}/orders/42`)).text();
await close(server);
await obs.shutdown({ timeoutMs: 3000 });

const require = createRequire(import.meta.url);
const loaded = new Set(
  Object.keys(require.cache).map((path) => /node_modules\/(dd-trace[^/]*)\//.exec(path)?.[1]),
);
loaded.delete(undefined);
process.stdout.write(
  `${JSON.stringify({ lines, packages: [...loaded], version: require('dd-trace/package.json').version })}\n`,
);
process.exit(0);
