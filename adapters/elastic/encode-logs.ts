import type { LogKeys } from '../../src/export/index.js';
import type { DataStream } from './data-stream.js';
import { setField } from '../../src/export/index.js';
import { type Doc, ECS_VERSION, fieldOf, mergeField, mergeLabels, pathOf } from './ecs-document.js';

/** Who writes the documents: the same for every document of one adapter. */
export interface DocIdentity {
  readonly service: string;
  readonly environment: string;
  readonly version: string | undefined;
  /** `host.name`; omitted when undefined. */
  readonly hostname: string | undefined;
  /**
   * `service.node.name`: the `service.instance.id` of the process writing, so the documents of
   * replicas, or of `node:cluster` workers on one host, sending the same series stay apart; omitted
   * when undefined.
   */
  readonly node: string | undefined;
}

/**
 * Keys of sightline's lines that the encoder maps itself: the neutral correlation fields, the
 * canonical service fields (OpenTelemetry names) and the ECS fields this adapter's line format adds.
 */
const MAPPED = new Set([
  'trace_id',
  'span_id',
  'trace_flags',
  'trace.id',
  'span.id',
  'service.name',
  'service.version',
  'service.environment',
  'service.node.name',
  'deployment.environment.name',
  'ecs.version',
  'event.dataset',
  'data_stream.type',
  'data_stream.dataset',
  'data_stream.namespace',
  'err',
]);

/**
 * Adds the ECS fields every document carries (ECS version, service, host, `event.dataset`,
 * `data_stream.*`) as fresh objects, since user fields may later be merged into them. Returns the
 * `event` object for callers that add more `event.*` fields.
 */
export function addIdentity(
  doc: Doc,
  identity: DocIdentity,
  stream: DataStream,
  kind: 'alert' | 'metric' | undefined,
): Doc {
  doc.ecs = { version: ECS_VERSION };
  const service: Doc = { name: identity.service, environment: identity.environment };
  if (identity.version !== undefined) service.version = identity.version;
  if (identity.node !== undefined) service.node = { name: identity.node };
  doc.service = service;
  if (identity.hostname !== undefined) doc.host = { name: identity.hostname };
  const event: Doc = kind === undefined ? {} : { kind };
  event.dataset = stream.dataset;
  doc.event = event;
  doc.data_stream = { type: stream.type, dataset: stream.dataset, namespace: stream.namespace };
  return event;
}

const at = (value: unknown, key: string): unknown =>
  typeof value === 'object' && value !== null ? fieldOf(value as Doc, key) : undefined;

/**
 * The `service.node.name` a line holds nested (`service: { node: { name } }`, or partly dotted): the
 * identity's, set first, would take its place and send the line's own to `labels`.
 */
function nestedNode(record: Doc): unknown {
  const service = at(record, 'service');
  return (
    at(service, 'node.name') ?? at(at(service, 'node'), 'name') ?? at(at(record, 'service.node'), 'name')
  );
}

/**
 * Turns one of sightline's JSON log lines into an ECS document for a `logs-*` data stream: the
 * line's time, message and level keys (whatever the primary log format named them) become
 * `@timestamp`, `message` and `log.level`; `trace_id`/`span_id` become `trace.id`/`span.id`; a
 * serialised `err` becomes `error.type`/`error.message`/`error.stack_trace`; every other field is
 * kept, dotted keys expanded, and a field that would collide with another (a string `service` next
 * to `service.name`, or with the object other lines have there, as a string `error`) or is named like
 * a metadata field (`_id`, any root name starting with `_`) goes to `labels`, next to the line's own `labels`, flattened (`labels.http.route` is `labels.http_route`).
 * A line that is not a JSON object becomes the message.
 *
 * @example
 * logLineToDoc('{"level":"info","time":1714564800000,"msg":"order placed","orderId":"o-1"}', keys, identity, stream, Date.now());
 * // {"@timestamp":"2024-05-01T12:00:00.000Z","message":"order placed","log":{"level":"info"},...,"orderId":"o-1"}
 */
export function logLineToDoc(
  line: string,
  keys: LogKeys,
  identity: DocIdentity,
  stream: DataStream,
  nowMs: number,
): Doc {
  let record: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      record = parsed as Record<string, unknown>;
  } catch {
    record = undefined;
  }
  if (record === undefined) {
    const doc: Doc = { '@timestamp': toIsoTime(nowMs, nowMs), message: line };
    addIdentity(doc, identity, stream, undefined);
    return doc;
  }

  const doc: Doc = { '@timestamp': toIsoTime(record[keys.timeKey], nowMs) };
  const message = record[keys.messageKey];
  if (message !== undefined && message !== null) doc.message = toText(message);
  const level = record[keys.levelKey];
  if (typeof level === 'string' || typeof level === 'number') doc.log = { level: String(level) };
  const traceId = record['trace.id'] ?? record.trace_id;
  const spanId = record['span.id'] ?? record.span_id;
  if (typeof traceId === 'string') doc.trace = { id: traceId };
  if (typeof spanId === 'string') doc.span = { id: spanId };
  // A node the line names itself (a child's bindings, as ecs-pino-format's serviceNodeName) is kept:
  // a dotted one here, a nested one merged in with the line's other fields.
  const dotted = record['service.node.name'];
  const node =
    typeof dotted === 'string' ? dotted : nestedNode(record) === undefined ? identity.node : undefined;
  addIdentity(doc, node === identity.node ? identity : { ...identity, node }, stream, undefined);

  const labels: Doc = {};
  const err = record.err;
  if (typeof err === 'object' && err !== null && !Array.isArray(err)) {
    const { type, message: errMessage, stack, ...rest } = err as Record<string, unknown>;
    const error: Doc = {};
    if (type !== undefined) error.type = toText(type);
    if (errMessage !== undefined) error.message = toText(errMessage);
    if (stack !== undefined) error.stack_trace = toText(stack);
    doc.error = error;
    for (const key in rest) mergeField(doc, labels, `error.${key}`, rest[key]);
  } else if (err !== undefined) {
    mergeField(doc, labels, 'err', err);
  }

  // The line's own labels are flattened apart so that they win over collided fields of the same name.
  const own: Doc = {};
  for (const key in record) {
    if (key === keys.timeKey || key === keys.messageKey || key === keys.levelKey || MAPPED.has(key)) continue;
    const path = pathOf(key);
    if (path[0] === 'labels') mergeLabels(own, path.slice(1), record[key]);
    else mergeField(doc, labels, key, record[key]);
  }
  for (const key in labels) if (fieldOf(own, key) === undefined) setField(own, key, labels[key]);
  for (const _ in own) {
    doc.labels = own;
    break;
  }
  return doc;
}

function toText(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return typeof value === 'object' ? JSON.stringify(value) : String(value);
  } catch {
    return String(value);
  }
}

// The last time turned into ISO text, and that text: the lines of a burst, and the points of a
// collection, carry the same time, and turning one costs about half a microsecond (Date.parse,
// then toISOString), as much as parsing the whole line the time was read from.
let lastTime: string | number | undefined;
let lastIso = '';

/** A time as ISO-8601 (from epoch ms or a date string); the encode time when absent or invalid. */
export function toIsoTime(value: unknown, nowMs: number): string {
  if (value === lastTime && lastTime !== undefined) return lastIso;
  const t = typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : Number.NaN;
  const date = new Date(t);
  if (Number.isNaN(date.getTime())) return new Date(nowMs).toISOString();
  const iso = date.toISOString();
  // A text that reads as another time in another time zone (no `Z`) is not remembered.
  if (typeof value === 'number' || iso === value) {
    lastTime = value;
    lastIso = iso;
  }
  return iso;
}
