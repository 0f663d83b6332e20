import { afterEach, describe, expect, it } from 'vitest';
import { AUTH, SECRET_TOKEN, startWithElastic, stopSightline } from './helpers.js';
import { EsIntake } from './intake-server.js';

let intake: EsIntake | undefined;
afterEach(async () => {
  await stopSightline();
  await intake?.close();
  intake = undefined;
});

describe('elastic traces by OTLP', () => {
  it('sends protobuf to APM Server /v1/traces with the secret token as Bearer', async () => {
    intake = await EsIntake.start({ authorization: `Bearer ${SECRET_TOKEN}` });
    const { obs } = startWithElastic(intake, { traces: { url: intake.url, secretToken: SECRET_TOKEN } });
    obs.trace('checkout', () => obs.trace('charge card', () => {}));
    await obs.forceFlush();
    const [r] = intake.requests.filter((q) => q.kind === 'traces');
    expect(r?.status).toBe(200);
    expect(r?.headers['content-type']).toBe('application/x-protobuf');
    expect(r?.headers.authorization).toBe(`Bearer ${SECRET_TOKEN}`);
    expect(r?.body.toString('latin1')).toContain('charge card');
    expect(obs.stats().elastic!.traces).toMatchObject({ produced: 2, delivered: 2, queued: 0 });
    expect(obs.stats().elastic!.traces?.dropped).toEqual({});
  });

  it('sends OTLP JSON with the API key to the managed endpoint when asked', async () => {
    intake = await EsIntake.start({ authorization: AUTH });
    const { obs } = startWithElastic(intake, {
      traces: { protocol: 'http/json' },
      env: { ELASTIC_OTLP_ENDPOINT: intake.url },
    });
    obs.trace('checkout', () => {});
    await obs.forceFlush();
    const [r] = intake.requests.filter((q) => q.kind === 'traces');
    expect(r?.headers.authorization).toBe(AUTH);
    const body = JSON.parse(r!.body.toString('utf8'));
    const span = body.resourceSpans[0].scopeSpans[0].spans[0];
    expect(span.name).toBe('checkout');
    expect(body.resourceSpans[0].resource.attributes).toContainEqual({
      key: 'service.name',
      value: { stringValue: 'checkout' },
    });
  });
});
