/**
 * A function as Lambda runs it: sightline started as the module loads (the init phase), then one
 * handler run per `invoke` message, answered as Lambda's runtime answers, a turn after the
 * handler's promise settles; the parent then freezes the process (SIGSTOP), as Lambda does until
 * the next invocation, or ends it (SIGKILL), as Lambda does when it reclaims the environment.
 */
import { cloudwatch } from '../../../adapters/cloudwatch/index.js';
import { init } from '../../../src/index.js';

const obs = init({
  service: 'fn',
  environment: 'prod',
  outbound: false,
  exporters: [cloudwatch({ traces: true, endpoints: { traces: process.env.TRACES_URL } })],
});
const orders = obs.metrics.counter('orders.placed', { unit: '{order}' });
const flushMs = process.env.FLUSH_MS === undefined ? undefined : Number(process.env.FLUSH_MS);

/** The handler as the README's CloudWatch section tells: flushed once its work is done. */
async function handler(event: { invocation: number }): Promise<{ ok: true }> {
  await obs.trace(`invocation ${event.invocation}`, async () => {
    orders.add(1, { invocation: String(event.invocation) });
    for (let line = 0; line < 5; line++) obs.log.info({ invocation: event.invocation, line }, 'handled');
  });
  await obs.forceFlush(flushMs === undefined ? undefined : { timeoutMs: flushMs });
  return { ok: true };
}

process.on('message', (event: { invocation: number }) => {
  const start = Date.now();
  void handler(event)
    .then(() => new Promise((resolve) => setImmediate(resolve)))
    .then(() =>
      process.send?.({
        invocation: event.invocation,
        start,
        end: Date.now(),
        traces: obs.stats().cloudwatch?.traces,
      }),
    );
});
process.send?.({ ready: true });
