import { type AdapterEnv, envValue } from './adapter-options.js';

/** `/v1/<signal>` under a base URL, keeping any path prefix (`https://host/otlp` → `/otlp/v1/traces`). */
export function underBase(base: string | URL, signal: string): string | URL {
  let parsed: URL;
  try {
    parsed = new URL(String(base));
  } catch {
    return base; // resolveEndpoint reports it, naming the option.
  }
  parsed.pathname = `${parsed.pathname.replace(/\/+$/, '')}/v1/${signal}`;
  return parsed;
}

/**
 * The URL the standard variables give a signal, as the OpenTelemetry SDKs read them:
 * OTEL_EXPORTER_OTLP_<SIGNAL>_ENDPOINT as it is, else OTEL_EXPORTER_OTLP_ENDPOINT with `/v1/<signal>`
 * appended; `option` names the variable, for errors.
 */
export function otlpEndpointFromEnv(
  env: AdapterEnv | undefined,
  signal: 'traces' | 'metrics' | 'logs',
): { option: string; url: string | URL } | undefined {
  const specific = `OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_ENDPOINT`;
  const s = envValue(env, specific);
  if (s !== undefined) return { option: specific, url: s };
  const g = envValue(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  if (g !== undefined) return { option: 'OTEL_EXPORTER_OTLP_ENDPOINT', url: underBase(g, signal) };
  return undefined;
}
