import { hostname } from 'node:os';
import type { LogFormat } from '../../src/export/index.js';
import { ECS_VERSION, OBJECT_ROOTS } from './ecs-document.js';

/** The service fields ECS lines carry besides the `service.name`/`service.version` every line has. */
export interface EcsLineIdentity {
  readonly environment: string;
  /** `event.dataset`: the logs data stream's dataset, so collected lines and shipped ones agree. */
  readonly dataset: string;
}

/**
 * Where a line's plain value at the root of an ECS object (`service: 'payments'`, `log: 'audit'`) is
 * written: under `labels`, as documents sent by `_bulk` have it. Elasticsearch expands the line's own
 * dotted keys (`service.name`, `log.level`) into those objects, and refuses a line holding both.
 */
const OWN_FIELDS: Readonly<Record<string, string>> = Object.fromEntries(
  [...OBJECT_ROOTS, 'labels'].map((name) => [name, `labels.${name}`]),
);

/**
 * The process and host that write the lines, as ecs-pino-format writes pino's `pid` and `hostname`:
 * the lines of `node:cluster` workers, or of replicas, collected into one data stream stay apart.
 * `host.hostname`, not `host.name`, which Elastic Agent sets to its own host's name.
 */
function processFields(): Record<string, unknown> {
  const fields: Record<string, unknown> = { 'process.pid': process.pid };
  try {
    fields['host.hostname'] = hostname();
  } catch {
    // A host whose name cannot be read: the pid alone.
  }
  return fields;
}

/**
 * The ecs-logging line shape (what `@elastic/ecs-pino-format` writes), for Elastic Agent or
 * Filebeat collecting stdout: `@timestamp` (ISO-8601), `log.level`, `message`, `ecs.version`,
 * `service.environment`, `event.dataset`, `process.pid`, `host.hostname`, inside a span `trace.id`
 * and `span.id`, and a logged error as the `error` object (`type`, `message`, `stack_trace`). The
 * keys are written dotted and flat, as the ecs-logging spec asks for `log.level`. When another
 * adapter comes first in `exporters`, its key names and its way of writing errors win, and the
 * other fields are still added.
 *
 * `data_stream.*` is left out on purpose: the collector decides the data stream, and a different
 * value in the line would be refused by the stream's constant fields.
 *
 * @example
 * elasticLogFormat({ environment: 'production', dataset: 'checkout' });
 * // {"log.level":"info","@timestamp":"2024-05-01T12:00:00.000Z","service.name":"checkout",...,"message":"order placed"}
 */
export function elasticLogFormat(identity: EcsLineIdentity): LogFormat {
  return {
    messageKey: 'message',
    messageAsText: true,
    levelKey: 'log.level',
    timeKey: '@timestamp',
    timeFormat: 'iso',
    base: {
      'ecs.version': ECS_VERSION,
      'service.environment': identity.environment,
      'event.dataset': identity.dataset,
      ...processFields(),
    },
    correlate: (traceId, spanId) => ({ 'trace.id': traceId, 'span.id': spanId }),
    ownFields: OWN_FIELDS,
    // ecs-pino-format's convertErr: the error's own fields (a code) stay with it, as _bulk documents have them.
    errorFields: ({ type, message, stack, ...rest }) => ({
      error: { type, message, stack_trace: stack, ...rest },
    }),
  };
}
