/** New Relic data centre regions. FedRAMP and other hosts are reached through the `endpoints` option. */
export type NewRelicRegion = 'US' | 'EU';

/** The intake URLs of one region (the Event API URL still needs the account id). */
export interface RegionEndpoints {
  readonly metrics: string;
  readonly logs: string;
  readonly events: (accountId: string) => string;
  /** OTLP/HTTP base; the signal path (`/v1/traces`) is appended. */
  readonly otlp: string;
}

export const REGION_ENDPOINTS: Readonly<Record<NewRelicRegion, RegionEndpoints>> = Object.freeze({
  US: {
    metrics: 'https://metric-api.newrelic.com/metric/v1',
    logs: 'https://log-api.newrelic.com/log/v1',
    events: (accountId: string) => `https://insights-collector.newrelic.com/v1/accounts/${accountId}/events`,
    otlp: 'https://otlp.nr-data.net',
  },
  EU: {
    metrics: 'https://metric-api.eu.newrelic.com/metric/v1',
    logs: 'https://log-api.eu.newrelic.com/log/v1',
    events: (accountId: string) =>
      `https://insights-collector.eu01.nr-data.net/v1/accounts/${accountId}/events`,
    otlp: 'https://otlp.eu01.nr-data.net',
  },
});
