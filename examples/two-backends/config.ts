/**
 * One configuration, two backends at once: Datadog for metrics, logs and anomaly events, and
 * an OpenTelemetry collector for traces, metrics and logs. Each adapter has its own queues, so a
 * slow or failing backend never delays the other.
 */
import type { SightlineConfig } from 'sightline';
import { datadog } from 'sightline/datadog';
import { otlp } from 'sightline/otlp';

export type Env = Readonly<Record<string, string | undefined>>;

export function twoBackends(env: Env = process.env): SightlineConfig {
  // DATADOG_INTAKE_URL replaces Datadog's hosts (a proxy, a private link, a local test intake).
  const intake = env.DATADOG_INTAKE_URL;
  return {
    service: 'checkout',
    version: env.APP_VERSION ?? '1.0.0',
    exporters: {
      production: [
        datadog({
          logs: 'http',
          traces: 'none',
          ...(intake
            ? {
                endpoints: {
                  metrics: `${intake}/api/v2/series`,
                  logs: `${intake}/api/v2/logs`,
                  events: `${intake}/api/v1/events`,
                },
              }
            : {}),
          processEnv: env,
        }),
        // No url: otlp() reads OTEL_EXPORTER_OTLP_ENDPOINT and the per-signal variables in the
        // standard's order (default http://localhost:4318), which a url from code would override.
        otlp({ env }),
      ],
    },
  };
}
