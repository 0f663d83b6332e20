// The service test/package/bundle.test.ts bundles: an Express app with a sub-app mounted under a
// parameter and a router, which it calls once each, then prints its SERVER spans' names as JSON.
import type { AddressInfo } from 'node:net';
import express from 'express';
import { init } from 'sightline';
import { expressMiddleware } from 'sightline/express';
import { memoryExporter } from 'sightline/testing';

const memory = memoryExporter();
const obs = init({
  service: 'bundled',
  environment: 'test',
  exporters: [memory],
  anomaly: false,
  logStream: { write: () => true },
});

const app = express();
app.use(expressMiddleware());
const admin = express();
admin.get('/users/:id', (_req, res) => {
  res.send('user');
});
app.use('/orgs/:orgId/admin', admin);
const v1 = express.Router();
v1.get('/items/:id', (_req, res) => {
  res.send('item');
});
app.use('/v1', v1);

// No top-level await: the CommonJS bundle cannot hold one.
async function main(): Promise<void> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  for (const path of ['/orgs/acme/admin/users/7', '/v1/items/3']) await (await fetch(base + path)).text();
  await obs.forceFlush();
  const names = memory
    .spans()
    .filter((span) => span.attributes['http.route'] !== undefined)
    .map((span) => span.name);
  process.stdout.write(JSON.stringify(names));
  server.close();
  await obs.shutdown();
}

void main();
