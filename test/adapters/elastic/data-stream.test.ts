import { afterEach, describe, expect, it } from 'vitest';
import { elastic } from '../../../adapters/elastic/index.js';
import { cleanDataStreamPart, isValidDataStreamPart } from '../../../adapters/elastic/data-stream.js';
import { AUTH, startWithElastic, stopSightline } from './helpers.js';
import { dataStreamError, EsIntake } from './intake-server.js';

let intake: EsIntake | undefined;
afterEach(async () => {
  await stopSightline();
  await intake?.close();
  intake = undefined;
});

describe('data stream names', () => {
  it.each([
    ['checkout', 'checkout'],
    ['Checkout', 'checkout'],
    ['checkout-api', 'checkout_api'],
    ['Checkout API', 'checkout_api'],
    ['shop/checkout', 'shop_checkout'],
    ['a*b?c"d<e>f|g,h#i\\j:k', 'a_b_c_d_e_f_g_h_i_j_k'],
    ['payments.v2', 'payments.v2'],
    ['--édition--', 'dition'],
    ['_leading.and.trailing._', 'leading.and.trailing'],
    ['', 'generic'],
    ['---', 'generic'],
    ['x'.repeat(150), 'x'.repeat(100)],
  ])('cleans %j to %j', (input, expected) => {
    const cleaned = cleanDataStreamPart(input, 'generic');
    expect(cleaned).toBe(expected);
    expect(isValidDataStreamPart(cleaned)).toBe(true);
    expect(dataStreamError(`logs-${cleaned}-default`)).toBeUndefined();
  });

  it('derives the streams from the service and environment, cleaned', async () => {
    intake = await EsIntake.start({ authorization: AUTH });
    const { obs } = startWithElastic(intake, {}, { service: 'Checkout-API', environment: 'Prod EU' });
    obs.log.info('hello');
    obs.metrics.counter('orders').add(1);
    await obs.forceFlush();
    expect(intake.docs('logs-checkout_api-prod_eu')).toHaveLength(1);
    expect(intake.docs('metrics-checkout_api-prod_eu').length).toBeGreaterThan(0);
    expect(intake.docs('logs-checkout_api-prod_eu')[0]).toMatchObject({
      service: { name: 'Checkout-API', environment: 'Prod EU' },
      event: { dataset: 'checkout_api' },
      data_stream: { type: 'logs', dataset: 'checkout_api', namespace: 'prod_eu' },
    });
  });

  it('uses explicit dataset and namespace as given', async () => {
    intake = await EsIntake.start({ authorization: AUTH });
    const { obs } = startWithElastic(intake, {
      dataset: 'shop.checkout',
      namespace: 'eu1',
      eventsDataset: 'shop.alerts',
    });
    obs.log.info('hello');
    (obs as unknown as { emitAnomaly(e: unknown): void }).emitAnomaly({
      metric: 'm',
      attributes: {},
      time: Date.now(),
      observed: 1,
      expected: 2,
      band: { lower: 1, upper: 3 },
      score: 1,
      severity: 90,
      kind: 'dip',
      explanation: 'm dropped',
      service: 'checkout',
      environment: 'production',
    });
    await obs.forceFlush();
    expect(intake.docs('logs-shop.checkout-eu1').length).toBeGreaterThan(0);
    expect(intake.docs('logs-shop.alerts-eu1')).toHaveLength(1);
  });

  it.each([
    ['dataset', 'Checkout', 'checkout'],
    ['dataset', 'checkout-app', 'checkout_app'],
    ['namespace', 'prod-eu', 'prod_eu'],
    ['namespace', 'x'.repeat(101), 'x'.repeat(100)],
    ['eventsDataset', 'alerts#1', 'alerts_1'],
  ] as const)('refuses an explicit %s of %j and suggests %j', (option, value, suggestion) => {
    expect(() => elastic({ node: 'http://127.0.0.1:9200', env: {}, [option]: value })).toThrowError(
      expect.objectContaining({
        code: 'SL_ERR_CONFIG_INVALID_VALUE',
        option: `elastic.${option}`,
        message: expect.stringContaining(JSON.stringify(suggestion)),
      }),
    );
  });
});
