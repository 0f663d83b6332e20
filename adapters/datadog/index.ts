/**
 * `sightline/datadog`: the Datadog adapter.
 *
 * @example
 * import { datadog } from 'sightline/datadog';
 * init({ exporters: [datadog({ site: 'datadoghq.eu', logs: 'stdout', traces: 'otlp' })] });
 */
export { datadog } from './datadog.js';
export type { DatadogEndpoints, DatadogHistogramOptions, DatadogOptions } from './options.js';
export { DATADOG_SITES, type DatadogSite } from './sites.js';
