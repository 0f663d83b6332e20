/**
 * `sightline/otlp`: send metrics, traces, logs and anomaly events to any OpenTelemetry collector
 * or OTLP/HTTP intake.
 *
 * @example
 * import { otlp } from 'sightline/otlp';
 * init({ service: 'checkout', exporters: [otlp({ url: 'http://collector:4318' })] });
 */
export { otlp } from './otlp.js';
export type { OtlpEndpoints, OtlpOptions, OtlpSignalName } from './options.js';
export type { OtlpProtocol, OtlpTemporality } from '../../src/export/otlp.js';
