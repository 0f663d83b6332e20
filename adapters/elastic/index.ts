import type { SightlineAdapter } from '../../src/export/index.js';
import { createElasticAdapter } from './elastic.js';
import { checkOptions, type ElasticOptions } from './options.js';

export type { ElasticEndpoints, ElasticOptions, ElasticTracesOptions } from './options.js';

/**
 * The Elastic adapter: log lines as ECS (on stdout for Elastic Agent or Filebeat, and shipped by
 * `_bulk` to the `logs-<dataset>-<namespace>` data stream), metrics as one document per series point
 * in `metrics-<dataset>-<namespace>`, anomaly events as ECS alerts in
 * `logs-sightline.anomaly-<namespace>`, and traces by OTLP/HTTP to APM Server or Elastic's managed
 * OTLP endpoint. The dataset defaults to the service name and the namespace to the environment.
 * Reads `ELASTICSEARCH_URL`/`ELASTIC_NODE`, `ELASTIC_CLOUD_ID`, `ELASTIC_API_KEY`/`ELASTICSEARCH_API_KEY`,
 * `ELASTICSEARCH_USERNAME`/`ELASTICSEARCH_PASSWORD`, `ELASTIC_APM_SERVER_URL`, `ELASTIC_OTLP_ENDPOINT`,
 * `ELASTIC_APM_SECRET_TOKEN` and `ELASTIC_APM_API_KEY`; a mistake throws a `SightlineConfigError`
 * here, never later. A missing URL or credentials fail at `init()`, and only in an environment
 * whose exporters include the adapter.
 *
 * @example
 * import { init } from 'sightline';
 * import { elastic } from 'sightline/elastic';
 *
 * init({
 *   service: 'checkout',
 *   exporters: [elastic({ node: 'https://es.example.com:9243', apiKey: process.env.ES_KEY, traces: { url: 'https://apm.example.com' } })],
 * });
 */
export function elastic(options?: ElasticOptions): SightlineAdapter {
  return createElasticAdapter(checkOptions(options));
}
