/**
 * One service process of the demo: `node --import tsx examples/demo/service.ts checkout|inventory`,
 * forked by the controller with IPC. It runs an example app with a short metric interval, the
 * anomaly bands exported, and the demo's adapter and fault switch; then tells its port.
 *
 * Environment: DEMO_INTERVAL_MS, DEMO_WARMUP, INVENTORY_URL (checkout only).
 */
import type { Server } from 'node:http';
import { init } from 'sightline';
import { createCheckoutApp } from '../express-api/app.js';
import { createInventoryApp } from '../fastify-api/app.js';
import { faultSwitch } from './faults.js';
import { demoLink } from './link.js';
import type { FromService, ToService } from './protocol.js';

const which = process.argv[2];
if (which !== 'checkout' && which !== 'inventory') {
  console.error('usage: service.ts checkout|inventory');
  process.exit(2);
}
const service = which === 'checkout' ? 'checkout-api' : 'inventory-api';
const send = (message: FromService) => {
  if (process.connected) process.send?.(message);
};

const link = demoLink(service, send);
const obs = init({
  service,
  version: '1.0.0',
  metricInterval: Number(process.env.DEMO_INTERVAL_MS ?? 500),
  anomaly: { warmup: Number(process.env.DEMO_WARMUP ?? 40), exportBands: true },
  exporters: [link],
  // The controller draws the screen; the services' own lines go to the adapter only.
  logStream: { write: () => {} },
});
const faults = faultSwitch(obs);

let close: () => Promise<void>;
let port: number;
if (which === 'checkout') {
  const app = createCheckoutApp(obs, {
    inventoryUrl: process.env.INVENTORY_URL ?? 'http://127.0.0.1:3001',
    faults: faults.hook,
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  port = (server.address() as { port: number }).port;
  close = () => new Promise((resolve) => server.close(() => resolve()));
} else {
  const app = await createInventoryApp(obs, { faults: faults.hook });
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as { port: number }).port;
  close = () => app.close();
}

const stop = async () => {
  await close().catch(() => {});
  await obs.shutdown({ timeoutMs: 2000 });
  process.exit(0);
};

process.on('message', (raw) => {
  const message = raw as ToService;
  switch (message.type) {
    case 'faults':
      faults.set(message.faults);
      break;
    case 'slowest':
      send({ type: 'slowest', id: message.id, ...link.slowest(message.route, message.sinceMs) });
      break;
    case 'trace':
      send({ type: 'trace', id: message.id, ...link.trace(message.traceId) });
      break;
    case 'stop':
      void stop();
      break;
  }
});
// Never outlive the controller.
process.on('disconnect', () => void stop());
send({ type: 'ready', port });
