import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ANOMALY,
  AUTH,
  expectGolden,
  normalize,
  placeInstance,
  startWithElastic,
  stopSightline,
} from './helpers.js';
import { EsIntake } from './intake-server.js';

let intake: EsIntake | undefined;
afterEach(async () => {
  await stopSightline();
  await intake?.close();
  intake = undefined;
});

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';

/** The NDJSON bodies sent to one data stream, as [action, document] pairs. */
function pairs(intake: EsIntake, stream: string): unknown[] {
  return intake
    .bulk()
    .filter((r) => r.status === 200)
    .flatMap((r) =>
      r.ops.filter((o) => o.index === stream).map((o) => [{ [o.action]: { _index: o.index } }, o.doc]),
    );
}

describe('elastic golden bodies', () => {
  it('logs: ECS documents, dotted keys expanded, collisions moved to labels, errors as error.*', async () => {
    intake = await EsIntake.start({ authorization: AUTH });
    const { obs } = startWithElastic(intake);
    obs.log.info({ orderId: 'o-1', amount: 42.5 }, 'order placed');
    obs.log.warn({ 'http.route': '/orders/:id', http: { method: 'POST' } }, 'slow route');
    context.with(
      trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 1 }),
      () =>
        obs.log.error(
          { err: Object.assign(new Error('card declined'), { code: 'E_CARD' }) },
          'payment failed',
        ),
    );
    // A string `service`, a scalar `labels` and `a` next to `a.b`: each would be a mapping conflict as is.
    obs.log.info({ service: 'billing', labels: 'x', a: 1, 'a.b': 2, 'log.logger': 'orders' }, 'collisions');
    await obs.forceFlush();
    const body = pairs(intake, 'logs-checkout-production');
    expect(body).toHaveLength(4);
    expect((body[2] as Record<string, unknown>[])[1]).toMatchObject({
      trace: { id: TRACE_ID },
      span: { id: SPAN_ID },
    });
    expectGolden('logs', normalize(body));
  });

  it('metrics: one document per series point, values under the metric name, attributes as labels', async () => {
    intake = await EsIntake.start({ authorization: AUTH });
    const { obs } = startWithElastic(intake);
    obs.metrics.counter('checkout.orders.placed').add(3, { region: 'eu', 'payment.method': 'card' });
    obs.metrics.counter('checkout.orders.placed').add(2, { region: 'us', 'payment.method': 'card' });
    const latency = obs.metrics.histogram('checkout.payment.duration', { unit: 'ms' });
    for (const v of [12, 48, 250]) latency.record(v, { provider: 'stripe' });
    obs.metrics.gauge('checkout.queue.depth').record(7);
    obs.metrics.upDownCounter('checkout.carts.open').add(4);
    await obs.forceFlush();
    // sightline's own export metrics share the stream; keep the business metrics.
    const body = pairs(intake, 'metrics-checkout-production').filter(
      (p) => 'checkout' in (p as object[])[1]!,
    );
    // The SDK's order of series is not part of the contract: sort for a stable golden file.
    body.sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));
    expect(body).toHaveLength(5);
    expectGolden('metrics', normalize(body));
  });

  it('events: anomalies as ECS alerts in logs-sightline.anomaly-<namespace>', async () => {
    intake = await EsIntake.start({ authorization: AUTH });
    const { obs } = startWithElastic(intake);
    (obs as unknown as { emitAnomaly(e: unknown): void }).emitAnomaly(ANOMALY);
    await obs.forceFlush();
    const body = pairs(intake, 'logs-sightline.anomaly-production');
    expect(body).toHaveLength(1);
    // The event time is fixed, so the timestamp is compared as is.
    expectGolden('events', placeInstance(body));
  });
});
