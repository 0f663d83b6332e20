import { ErrorCodes, SightlineConfigError, describeValue } from '../diag/errors.js';
import { type Env, envList } from './env.js';

/** The W3C propagators sightline registers; others (b3, jaeger, xray) need packages it does not ship. */
export type PropagatorName = 'tracecontext' | 'baggage';

const DEFAULT: readonly PropagatorName[] = Object.freeze(['tracecontext', 'baggage']);

/**
 * OTEL_PROPAGATORS, as the OpenTelemetry SDKs read it: the listed ones (any case), `none` for none,
 * unset for `tracecontext,baggage`. A propagator sightline lacks fails, rather than leave services
 * that read only its headers starting a trace of their own at every call.
 */
export function otelPropagators(env: Env): readonly PropagatorName[] {
  const values = envList(env, 'OTEL_PROPAGATORS')?.map((v) => v.toLowerCase());
  if (values === undefined) return DEFAULT;
  const unknown = values.find((v) => v !== 'none' && !(DEFAULT as readonly string[]).includes(v));
  if (unknown !== undefined) {
    throw new SightlineConfigError(
      ErrorCodes.CONFIG_INVALID_ENV,
      'OTEL_PROPAGATORS',
      `OTEL_PROPAGATORS names ${describeValue(unknown)}, which sightline does not propagate; use tracecontext, baggage or none (with datadog({ traces: 'dd-trace' }), set DD_TRACE_PROPAGATION_STYLE instead)`,
    );
  }
  if (values.includes('none')) return Object.freeze([]);
  return Object.freeze(DEFAULT.filter((name) => values.includes(name)));
}
