import { defaultLevelName, type LogFormat } from '../../src/export/index.js';
import type { ServiceTags } from './tags.js';

/**
 * Converts an OpenTelemetry id (hex) to the form Datadog correlates logs with: the unsigned decimal
 * of its low 64 bits (for a 128-bit trace id, the last 16 hex digits; a span id is 64 bits already).
 * BigInt keeps all 64 bits; `parseInt` would lose the low ones.
 *
 * @example
 * datadogId('4bf92f3577b34da6a3ce929d0e0e4736'); // '11803532876627986230'
 * datadogId('00f067aa0ba902b7');                 // '67667974448284343'
 */
export function datadogId(hex: string): string {
  return BigInt(`0x${hex.length > 16 ? hex.slice(-16) : hex}`).toString(10);
}

/**
 * Fields the Agent reads from a line as its service, host, source and tags, as the log intake reads
 * them from an entry: a user field of one of these names moves to `log.<name>`.
 */
const AGENT_FIELDS: Readonly<Record<string, string>> = Object.fromEntries(
  ['service', 'host', 'hostname', 'ddsource', 'ddtags'].map((name) => [name, `log.${name}`]),
);

/**
 * The log line shape the Datadog Agent ingests without a custom pipeline: `status` (level name),
 * `message`, `timestamp` (epoch ms), the unified service fields `dd.service`/`dd.env`/`dd.version`,
 * and inside a span `dd.trace_id`/`dd.span_id` in Datadog's decimal form. The `dd.*` keys are
 * written flat (as Java MDC and .NET loggers write them), so the static ones can sit in `base` and
 * the per-span ones in `correlate` without a duplicate `dd` object on the line.
 *
 * `shapeLines: false` leaves message/level/time keys to other adapters (HTTP log shipping remaps
 * them itself) and only adds the Datadog fields.
 *
 * A level of a child logger's own is written with the status of pino's level at or below it and
 * its name as `log.level`: Datadog reads a status by its first letters, `audit` as alert and
 * `security` as OK.
 */
export function datadogLogFormat(identity: ServiceTags, shapeLines: boolean): LogFormat {
  const base: Record<string, unknown> = { 'dd.service': identity.service, 'dd.env': identity.env };
  if (identity.version) base['dd.version'] = identity.version;
  // Consecutive lines usually come from the same span: remember the last conversion.
  let lastTrace = '';
  let lastSpan = '';
  let last: Record<string, unknown> = {};
  return {
    ...(shapeLines
      ? {
          messageKey: 'message',
          levelKey: 'status',
          timeKey: 'timestamp',
          timeFormat: 'epoch' as const,
          levelFields: customLevelFields,
          ownFields: AGENT_FIELDS,
        }
      : {}),
    base,
    correlate(traceId, spanId) {
      if (traceId !== lastTrace || spanId !== lastSpan) {
        last = { 'dd.trace_id': datadogId(traceId), 'dd.span_id': datadogId(spanId) };
        lastTrace = traceId;
        lastSpan = spanId;
      }
      // Safe to share: the logger copies these fields into its own object.
      return last;
    },
  };
}

/** A custom level's fields: Datadog's status for its value, and its own name. */
export function customLevelFields(label: string, value: number): Record<string, unknown> {
  return { status: defaultLevelName(value), 'log.level': label };
}
