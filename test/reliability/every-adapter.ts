/**
 * Every adapter sending all it can to one loopback URL, as each vendor's intake paths name it: for
 * tests that hold a promise of the README for each of them.
 */
import { cloudwatch } from '../../adapters/cloudwatch/index.js';
import { datadog } from '../../adapters/datadog/index.js';
import { elastic } from '../../adapters/elastic/index.js';
import { newrelic } from '../../adapters/newrelic/index.js';
import { otlp } from '../../adapters/otlp/index.js';
import type { SightlineAdapter } from '../../src/index.js';

/** Datadog's intakes but for traces, at one loopback origin. */
export const datadogEndpoints = (url: string) => ({
  metrics: `${url}/api/v2/series`,
  logs: `${url}/api/v2/logs`,
  events: `${url}/api/v1/events`,
});

/** New Relic's intakes, at one loopback origin. */
export const newrelicEndpoints = (url: string) => ({
  metrics: `${url}/metric/v1`,
  logs: `${url}/log/v1`,
  traces: `${url}/v1/traces`,
  events: `${url}/v1/accounts/1234567/events`,
});

export const ADAPTERS: Record<string, (url: string) => SightlineAdapter> = {
  otlp: (url) => otlp({ url, protocol: 'http/json', env: {} }),
  datadog: (url) =>
    datadog({
      apiKey: 'dd-key-0123456789abcdef0123456789ab',
      processEnv: {},
      logs: 'http',
      traces: 'otlp',
      endpoints: { ...datadogEndpoints(url), traces: `${url}/v1/traces` },
    }),
  newrelic: (url) =>
    newrelic({
      licenseKey: 'eu01xx0123456789abcdef0123456789abcdNRAL',
      logs: 'api',
      endpoints: newrelicEndpoints(url),
      env: {},
    }),
  elastic: (url) => elastic({ node: url, apiKey: 'ZWxhc3RpYzpzZWNyZXQ=', traces: { url }, env: {} }),
  cloudwatch: (url) =>
    cloudwatch({
      mode: 'api',
      region: 'eu-west-1',
      endpoints: { metrics: url, logs: url, traces: `${url}/v1/traces` },
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      logGroup: '/shop/checkout',
      logStream: 'web-1',
      env: {},
    }),
};
