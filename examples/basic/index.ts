/**
 * The smallest sightline program: one init(), then metrics, logs and traces through one object.
 * With no backend configured, everything goes to the console.
 *
 *   npm run example:basic
 */
import { init } from 'sightline';

const obs = init({ service: 'basic-example', version: '1.0.0', metricInterval: 1000 });

const orders = obs.metrics.counter('orders.placed', { unit: '{order}', description: 'Orders placed' });
const checkout = obs.metrics.histogram('checkout.duration', { unit: 'ms' });

async function placeOrder(id: number): Promise<void> {
  await obs.trace('place-order', async (span) => {
    span.setAttribute('order.id', id);
    const stop = checkout.startTimer({ region: id % 2 === 0 ? 'eu' : 'us' });
    await obs.trace('charge-card', () => new Promise((resolve) => setTimeout(resolve, 5 + (id % 7))));
    orders.add(1, { region: id % 2 === 0 ? 'eu' : 'us', plan: 'pro' });
    obs.log.info({ orderId: `o-${id}` }, 'order placed');
    stop();
  });
}

for (let i = 1; i <= 5; i++) await placeOrder(i);
// Wait for one metric interval so the console summary prints, then flush and exit.
await new Promise((resolve) => setTimeout(resolve, 1200));
await obs.shutdown();
