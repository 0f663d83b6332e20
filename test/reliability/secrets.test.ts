/**
 * Secrets never leave through a side door. With sentinel credentials for every adapter, a backend
 * that walks through every fault, and diagnostics at `debug`, the sentinels appear in no stderr
 * line, log line, stats snapshot, inspected object, error message or request body: only in the
 * header that carries them. Credentials go over plain HTTP to loopback only.
 */
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { cloudwatch } from '../../adapters/cloudwatch/index.js';
import { datadog } from '../../adapters/datadog/index.js';
import { elastic } from '../../adapters/elastic/index.js';
import { newrelic } from '../../adapters/newrelic/index.js';
import { otlp } from '../../adapters/otlp/index.js';
import { getSightline, init, type SightlineAdapter } from '../../src/index.js';
import { datadogEndpoints, newrelicEndpoints } from './every-adapter.js';
import { FAULTS, type FaultyBackend, startFaultyBackend } from './faulty-backend.js';

const SENTINEL = 'sentinelSecret7f3a9c0d2e4b6a8c';
const SECRET_KEY = `aws/${SENTINEL}+secret`;
const CHANNEL = {
  flushIntervalMs: 20,
  timeoutMs: 150,
  retry: { initialDelayMs: 5, maxDelayMs: 20, maxElapsedMs: 400 },
};

interface Case {
  name: string;
  adapter: (url: string) => SightlineAdapter;
  /** The header that may carry the secret (lowercase), and what it may look like there. */
  header: string;
  /** Forms of the secret searched for everywhere else. */
  forms: string[];
}

const basic = Buffer.from(`elastic:${SENTINEL}`).toString('base64');
const CASES: Case[] = [
  {
    name: 'datadog apiKey',
    adapter: (url) =>
      datadog({
        apiKey: SENTINEL,
        processEnv: {},
        logs: 'http',
        traces: 'none',
        endpoints: datadogEndpoints(url),
        channel: CHANNEL,
      }),
    header: 'dd-api-key',
    forms: [SENTINEL],
  },
  {
    name: 'newrelic licenseKey',
    adapter: (url) =>
      newrelic({
        licenseKey: SENTINEL,
        logs: 'api',
        endpoints: newrelicEndpoints(url),
        channel: CHANNEL,
        env: {},
      }),
    header: 'api-key',
    forms: [SENTINEL],
  },
  {
    name: 'otlp headers',
    adapter: (url) =>
      otlp({ url, headers: { authorization: `Bearer ${SENTINEL}` }, channel: CHANNEL, env: {} }),
    header: 'authorization',
    forms: [SENTINEL],
  },
  {
    name: 'elastic apiKey',
    adapter: (url) => elastic({ node: url, apiKey: SENTINEL, traces: false, channel: CHANNEL, env: {} }),
    header: 'authorization',
    forms: [SENTINEL],
  },
  {
    name: 'elastic password',
    adapter: (url) =>
      elastic({
        node: url,
        username: 'elastic',
        password: SENTINEL,
        traces: false,
        channel: CHANNEL,
        env: {},
      }),
    header: 'authorization',
    forms: [SENTINEL, basic],
  },
  {
    name: 'cloudwatch credentials',
    adapter: (url) =>
      cloudwatch({
        mode: 'api',
        region: 'eu-west-1',
        endpoints: { metrics: url, logs: url, traces: `${url}/v1/traces` },
        credentials: { accessKeyId: 'AKIDSENTINEL0001', secretAccessKey: SECRET_KEY, sessionToken: SENTINEL },
        logGroup: '/shop/checkout',
        logStream: 'web-1',
        channel: CHANNEL,
        env: {},
      }),
    header: 'x-amz-security-token',
    forms: [SENTINEL, SECRET_KEY],
  },
];

let backend: FaultyBackend | undefined;
afterEach(async () => {
  await getSightline()?.shutdown({ timeoutMs: 500 });
  await backend?.close();
  backend = undefined;
});

function captureStderr(): { text: () => string; restore: () => void } {
  const chunks: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  return { text: () => chunks.join(''), restore: () => (process.stderr.write = write) };
}

const search = (haystack: string, forms: string[]) => forms.filter((f) => haystack.includes(f));

describe.each(CASES)('$name', ({ adapter, header, forms }) => {
  it('never appears in output, diagnostics, stats or bodies, across every backend fault', async () => {
    backend = await startFaultyBackend({ hangMs: 30_000, keepBodies: true });
    const stderr = captureStderr();
    const lines: string[] = [];
    try {
      const obs = init({
        service: 'checkout',
        exporters: [adapter(backend.url)],
        logStream: { write: (l: string) => lines.push(l) },
        diagnostics: 'debug',
        outbound: false,
        anomaly: false,
        metricInterval: 3_600_000,
      });
      const orders = obs.metrics.counter('orders.placed');
      for (const mode of [...FAULTS, 'ok' as const]) {
        await backend.setMode(mode);
        for (let i = 0; i < 20; i++) {
          obs.trace('charge-card', () => orders.add(1, { plan: 'pro' }));
          obs.log.warn({ i, mode }, 'order placed');
        }
        obs.log.error({ err: new Error(`failure while ${mode}`) }, 'payment failed');
        await obs.forceFlush({ timeoutMs: 250 });
      }
      await obs.shutdown({ timeoutMs: 1000 });
      expect(search(JSON.stringify(obs.stats()), forms)).toEqual([]);
      expect(search(inspect(obs, { depth: 8, showHidden: true }), forms)).toEqual([]);
    } finally {
      stderr.restore();
    }
    expect(stderr.text()).toContain('sightline debug'); // diagnostics did speak about the faults
    expect(search(stderr.text(), forms)).toEqual([]);
    expect(search(lines.join('\n'), forms)).toEqual([]);
    expect(backend.bodies.length).toBeGreaterThan(0);
    let carried = 0;
    for (const { headers, body } of backend.bodies) {
      expect(search(body, forms)).toEqual([]);
      const rest = Object.entries(headers)
        .filter(([k]) => k !== header)
        .map(([k, v]) => `${k}: ${String(v)}`)
        .join('\n');
      expect(search(rest, forms)).toEqual([]);
      if (search(String(headers[header] ?? ''), forms).length > 0) carried++;
    }
    expect(carried).toBeGreaterThan(0); // the secret did go where it belongs
  }, 30_000);
});

describe('credentials over plain HTTP', () => {
  const insecure: [string, () => unknown][] = [
    [
      'datadog',
      () =>
        datadog({
          apiKey: SENTINEL,
          processEnv: {},
          endpoints: { metrics: 'http://intake.example/api/v2/series' },
        }),
    ],
    [
      'newrelic',
      () =>
        newrelic({
          licenseKey: SENTINEL,
          env: {},
          endpoints: { metrics: 'http://intake.example/metric/v1' },
        }),
    ],
    [
      'otlp',
      () =>
        otlp({
          url: 'http://collector.example:4318',
          headers: { authorization: `Bearer ${SENTINEL}` },
          env: {},
        }),
    ],
    ['elastic apiKey', () => elastic({ node: 'http://es.example:9200', apiKey: SENTINEL, env: {} })],
    [
      'elastic password',
      () => elastic({ node: 'http://es.example:9200', username: 'elastic', password: SENTINEL, env: {} }),
    ],
    [
      'cloudwatch',
      () =>
        cloudwatch({
          mode: 'api',
          region: 'eu-west-1',
          endpoints: { metrics: 'http://monitoring.example' },
          credentials: { accessKeyId: 'AKIDSENTINEL0001', secretAccessKey: SECRET_KEY },
          env: {},
        }),
    ],
  ];

  it.each(insecure)(
    '%s: a non-loopback http:// endpoint fails with SL_ERR_CONFIG_INSECURE_ENDPOINT, without the secret',
    (_, make) => {
      let error: unknown;
      try {
        make();
      } catch (e) {
        error = e;
      }
      expect((error as { code?: string })?.code).toBe('SL_ERR_CONFIG_INSECURE_ENDPOINT');
      expect(search(`${String(error)} ${inspect(error)}`, [SENTINEL, SECRET_KEY])).toEqual([]);
    },
  );
});
