/**
 * A service on dd-trace behind one keep-alive connection, as a load balancer's: a request whose
 * handler puts the user on its baggage, then another's, without a baggage header, which calls
 * another service. Prints the baggage each handler saw and the baggage header of the call out.
 * argv: <agent url> <downstream url>.
 */
import { createServer } from 'node:http';
import net from 'node:net';
import { context, propagation } from '@opentelemetry/api';
import express from 'express';
import { datadog } from '../../../adapters/datadog/index.js';
import { expressMiddleware } from '../../../src/integrations/express/index.js';
import { init } from '../../../src/index.js';
import { close, listen } from '../../integration/helpers/http-client.js';

const [agent, downstream] = process.argv.slice(2) as [string, string];
const traces = { endpoints: { traces: agent }, traces: 'dd-trace' } as const;
const obs = init({
  service: 'checkout',
  anomaly: false,
  handleSignals: false,
  logStream: { write: () => undefined },
  exporters: [datadog({ apiKey: 'k'.repeat(32), processEnv: {}, metrics: 'none', events: false, ...traces })],
});

const baggage = () =>
  Object.fromEntries(
    (propagation.getBaggage(context.active())?.getAllEntries() ?? []).map(([k, v]) => [k, v.value]),
  );
const app = express();
app.use(expressMiddleware());
app.get('/login', (_req, res) => {
  const seen = baggage();
  const bag = propagation.createBaggage({ user: { value: 'alice' } });
  context.with(propagation.setBaggage(context.active(), bag), () => undefined);
  res.json({ seen });
});
app.get('/orders', async (_req, res) => {
  const seen = baggage();
  const sent = await (await fetch(`${downstream}/stock`)).text();
  res.json({ seen, sent });
});
const server = createServer(app);
const base = new URL(await listen(server));

// Both requests on one connection, the second sent once the first is answered.
const answers = await new Promise<unknown[]>((resolve, reject) => {
  const socket = net.connect(Number(base.port), '127.0.0.1');
  const bodies: unknown[] = [];
  let buffered = '';
  socket.setEncoding('utf8');
  socket.on('error', reject);
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    const match = /\r\n\r\n(\{.*\})$/s.exec(buffered);
    if (match === null) return;
    bodies.push(JSON.parse(match[1]!));
    buffered = '';
    if (bodies.length === 1) socket.write('GET /orders HTTP/1.1\r\nHost: checkout\r\n\r\n');
    else {
      socket.end();
      resolve(bodies);
    }
  });
  socket.write('GET /login HTTP/1.1\r\nHost: checkout\r\nbaggage: user=mallory\r\n\r\n');
});
await close(server);
await obs.shutdown({ timeoutMs: 3000 });
process.stdout.write(`${JSON.stringify(answers)}\n`);
process.exit(0);
