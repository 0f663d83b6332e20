import { afterEach, describe, expect, it } from 'vitest';
import { type Env, twoBackends } from '../../examples/two-backends/config.js';
import { getSightline, init } from '../../src/index.js';
import { IntakeServer } from '../adapters/datadog/intake-server.js';
import { KEY } from '../adapters/datadog/helpers.js';
import { type OtlpCollector, startCollector } from '../adapters/otlp/intake-server.js';

let datadogIntake: IntakeServer | undefined;
let collector: OtlpCollector | undefined;
let tracesCollector: OtlpCollector | undefined;
afterEach(async () => {
  await getSightline()?.shutdown({ timeoutMs: 1000 });
  await datadogIntake?.close();
  await collector?.close();
  await tracesCollector?.close();
});

/** Starts both intakes and the example's configuration, in production, sending to them; `env` is added to its variables. */
async function startExample(env: Env = {}) {
  const intake = await IntakeServer.start({ apiKey: KEY });
  const otlpCollector = await startCollector();
  datadogIntake = intake;
  collector = otlpCollector;
  const config = twoBackends({
    NODE_ENV: 'production',
    DD_API_KEY: KEY,
    DATADOG_INTAKE_URL: intake.url(''),
    OTEL_EXPORTER_OTLP_ENDPOINT: otlpCollector.url,
    ...env,
  });
  const obs = init({
    ...config,
    environment: 'production',
    logStream: { write() {} },
    outbound: false,
    anomaly: false,
  });
  return { obs, datadogIntake: intake, collector: otlpCollector };
}

describe('the two-backends example', () => {
  it('delivers to Datadog and to an OpenTelemetry collector at once, each with its own accounting', async () => {
    const { obs, datadogIntake, collector } = await startExample({
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    });

    obs.metrics.counter('orders.placed').add(3, { region: 'eu' });
    obs.trace('place-order', () => obs.log.info({ orderId: 'o-1' }, 'order placed'));
    await obs.shutdown({ timeoutMs: 5000 });

    const series = datadogIntake
      .on('/api/v2/series')
      .flatMap((r) => (JSON.parse(r.text) as { series: { metric: string }[] }).series.map((s) => s.metric));
    expect(series).toContain('orders.placed');
    expect(
      datadogIntake
        .on('/api/v2/logs')
        .map((r) => r.text)
        .join(''),
    ).toContain('order placed');
    expect(
      collector
        .accepted('traces')
        .map((r) => r.body.toString('utf8'))
        .join(''),
    ).toContain('place-order');
    expect(
      collector
        .accepted('metrics')
        .map((r) => r.body.toString('utf8'))
        .join(''),
    ).toContain('orders.placed');
    expect(
      collector
        .accepted('logs')
        .map((r) => r.body.toString('utf8'))
        .join(''),
    ).toContain('order placed');

    const stats = obs.stats();
    expect(Object.keys(stats).sort()).toEqual(['datadog', 'otlp']);
    for (const adapter of Object.values(stats)) {
      for (const s of Object.values(adapter)) {
        expect(s?.queued).toBe(0);
        expect(s?.delivered).toBe(s?.produced);
      }
    }
  });

  it('sends spans where OTEL_EXPORTER_OTLP_TRACES_ENDPOINT says, over OTEL_EXPORTER_OTLP_ENDPOINT, as the standard has it', async () => {
    const traces = await startCollector();
    tracesCollector = traces;
    const { obs, collector } = await startExample({
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${traces.url}/v1/traces`,
    });

    obs.trace('place-order', () => {});
    await obs.shutdown({ timeoutMs: 5000 });

    expect(traces.accepted('traces')).toHaveLength(1);
    expect(collector.accepted('traces')).toHaveLength(0);
    expect(collector.accepted('metrics').length).toBeGreaterThan(0);
  });
});
