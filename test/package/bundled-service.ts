// The service test/package/bundle.test.ts bundles: an Express app with sub-apps mounted under a
// parameter, at a second path and at a list of paths behind another under a parameter, and a
// router, which it calls once each, then prints its SERVER spans' names as JSON.
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
// The same app at a second path: its mountpath is that one alone.
app.use('/backoffice', admin);
// Pages per tenant under a parameter, which takes /shop too, with no route for the catalog's.
const pages = express();
pages.get('/dashboard', (_req, res) => {
  res.send('dashboard');
});
app.use('/:tenant', pages);
const catalog = express();
catalog.get('/items/:sku', (_req, res) => {
  res.send('item');
});
// An app mounted at a list of paths: its mountpath is the list.
app.use(['/shop', '/stores/:storeId'], catalog);
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
  const paths = [
    '/orgs/acme/admin/users/7',
    '/backoffice/users/7',
    '/shop/items/sku-1',
    '/stores/12/items/sku-1',
    '/v1/items/3',
  ];
  for (const path of paths) await (await fetch(base + path)).text();
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
