/**
 * Sends to Datadog and to an OpenTelemetry collector at once.
 *
 *   DD_API_KEY=... OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318 NODE_ENV=production \
 *     node --import tsx examples/two-backends/index.ts
 */
import { init } from 'sightline';
import { twoBackends } from './config.js';

const obs = init(twoBackends());
const orders = obs.metrics.counter('orders.placed', { unit: '{order}' });
await obs.trace('place-order', async () => {
  orders.add(1, { region: 'eu' });
  obs.log.info({ orderId: 'o-1' }, 'order placed');
});
await obs.shutdown();
console.log(JSON.stringify(obs.stats(), null, 2));
