import type { SightlineAdapter } from '../../src/export/index.js';
import { createNewRelicAdapter } from './adapter.js';
import { type NewRelicOptions, resolveOptions } from './options.js';

export type { NewRelicRegion } from './endpoints.js';
export type { NewRelicEndpoints, NewRelicOptions } from './options.js';

/**
 * The New Relic adapter: metrics to the Metric API (delta counts, summaries for histograms, gauges),
 * traces by OTLP/HTTP, anomaly events as custom events (Event API), and log lines shaped for "logs in
 * context" (`trace.id`, `span.id`, entity fields) on stdout or shipped to the Log API.
 * Reads `NEW_RELIC_LICENSE_KEY`, `NEW_RELIC_REGION`, `NEW_RELIC_APP_NAME` and `NEW_RELIC_ACCOUNT_ID`;
 * a mistake throws a `SightlineConfigError` here, never later. A missing license key fails at
 * `init()`, and only in an environment whose exporters include the adapter.
 *
 * @example
 * import { init } from 'sightline';
 * import { newrelic } from 'sightline/newrelic';
 *
 * init({ service: 'checkout', exporters: [newrelic({ region: 'EU', logs: 'api', accountId: 1234567 })] });
 */
export function newrelic(options?: NewRelicOptions): SightlineAdapter {
  return createNewRelicAdapter(resolveOptions(options));
}
