import type { LogFormat } from '../../src/export/index.js';

/** The entity New Relic links a line to when it names one; sightline's lines leave it to New Relic. */
export const ENTITY_GUID = 'entity.guid';

/** The entity fields New Relic's "logs in context" puts on every line. */
export interface EntityFields {
  readonly 'entity.name': string;
  readonly 'entity.type': 'SERVICE';
  readonly hostname: string;
}

/** The entity fields for an app name and host. */
export function entityFields(appName: string, hostname: string): EntityFields {
  return { 'entity.name': appName, 'entity.type': 'SERVICE', hostname };
}

/**
 * New Relic's line shape: `message` and `timestamp` (epoch ms) as in the Log API's simplified form,
 * so a forwarder can send stdout lines unchanged; the entity fields on every line; and `trace.id` /
 * `span.id` on lines written inside a span, which is how New Relic links logs to traces. When another
 * adapter comes first in `exporters`, its key names win and these fields are still added.
 *
 * @example
 * newRelicLogFormat(entityFields('checkout', 'web-01'));
 * // lines: {"level":"info","timestamp":1700000000000,"entity.name":"checkout",...,"trace.id":"0af7...","message":"order placed"}
 */
export function newRelicLogFormat(entity: EntityFields): LogFormat {
  return {
    messageKey: 'message',
    timeKey: 'timestamp',
    timeFormat: 'epoch',
    base: { ...entity },
    // The Log API's names for a user field that would replace the entity (see `toNrLog`).
    ownFields: Object.fromEntries(
      [...Object.keys(entity), ENTITY_GUID].map((name) => [name, `attr.${name}`]),
    ),
    correlate: (traceId, spanId) => ({ 'trace.id': traceId, 'span.id': spanId }),
  };
}
