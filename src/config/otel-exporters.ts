import { ErrorCodes, SightlineConfigError, describeValue } from '../diag/errors.js';
import { type Env, envList } from './env.js';

/** The signals OTEL_TRACES_EXPORTER, OTEL_METRICS_EXPORTER and OTEL_LOGS_EXPORTER switch. */
export type ExportedSignal = 'traces' | 'metrics' | 'logs';

/**
 * `otlp` and `console` are what the adapters in `exporters` already do, so they change nothing; an
 * exporter sightline lacks (zipkin, prometheus) fails rather than leave the backend it names empty.
 */
const ACCEPTED = new Set(['otlp', 'console', 'none']);

/**
 * The signals whose OTEL_<SIGNAL>_EXPORTER is `none` (alone or in a list, as the SDKs read it): no
 * adapter exports them, as no exporter does in the OpenTelemetry SDKs.
 */
export function otelSignalsOff(env: Env): readonly ExportedSignal[] {
  const off: ExportedSignal[] = [];
  for (const signal of ['traces', 'metrics', 'logs'] as const) {
    const name = `OTEL_${signal.toUpperCase()}_EXPORTER`;
    const values = envList(env, name)?.map((v) => v.toLowerCase()) ?? [];
    const unknown = values.find((v) => !ACCEPTED.has(v));
    if (unknown !== undefined) {
      throw new SightlineConfigError(
        ErrorCodes.CONFIG_INVALID_ENV,
        name,
        `${name} names ${describeValue(unknown)}, which sightline cannot export to; use otlp, console or none, and choose backends with init({ exporters })`,
      );
    }
    if (values.includes('none')) off.push(signal);
  }
  return Object.freeze(off);
}
