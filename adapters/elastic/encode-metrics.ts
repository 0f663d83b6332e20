import type { MetricPoint } from '../../src/export/index.js';
import type { DataStream } from './data-stream.js';
import { asFloat, type Doc, pathOf, setPath, toLabels } from './ecs-document.js';
import { addIdentity, type DocIdentity, toIsoTime } from './encode-logs.js';

/**
 * Where a metric goes whose name collides with a field sightline writes itself (`service.name`,
 * `labels`) or starts with `_`.
 */
export const COLLISION_ROOT = 'metrics';

/** True when the point can be written: finite numbers only (JSON has no NaN or Infinity). */
export function isWritablePoint(point: MetricPoint): boolean {
  if (point.kind !== 'histogram') return Number.isFinite(point.value);
  return Number.isFinite(point.histogram.count) && Number.isFinite(point.histogram.sum);
}

/**
 * One document per series point in a `metrics-*` data stream, as the Elastic digest recommends for
 * business metrics: the value is a plain numeric field named after the metric
 * (`checkout.orders.placed: 42`), histograms as `<name>.count`/`.sum`/`.min`/`.max`, the series'
 * attributes under `labels.*` (dots as `_`), `event.kind: metric`, and the service fields. Values
 * other than counts are written with a decimal point, so the field is mapped as a float. Counters
 * and histograms are deltas over the collection interval, so summing a field over any time range
 * gives the count in that range. A name colliding with one of those fields, or starting with `_`
 * (Elasticsearch's metadata fields), goes under `metrics.`.
 *
 * @example
 * metricToDoc(point, identity, stream);
 * // {"@timestamp":"...","orders":{"placed":3},"labels":{"region":"eu"},"ecs":{...},"event":{"kind":"metric",...}}
 */
export function metricToDoc(point: MetricPoint, identity: DocIdentity, stream: DataStream): Doc {
  const doc: Doc = { '@timestamp': toIsoTime(point.timeMs, Date.now()) };
  const labels = toLabels(point.attributes);
  let any = false;
  for (const _ in labels) {
    any = true;
    break;
  }
  if (any) doc.labels = labels;
  addIdentity(doc, identity, stream, 'metric');
  const value = point.kind === 'histogram' ? histogramFields(point.histogram) : asFloat(point.value);
  const path = pathOf(point.name);
  if (!setPath(doc, path, value) && !setPath(doc, [COLLISION_ROOT, ...path], value)) {
    throw new Error('metric name collides with document fields');
  }
  return doc;
}

function histogramFields(h: Extract<MetricPoint, { kind: 'histogram' }>['histogram']): Doc {
  const fields: Doc = { count: h.count, sum: asFloat(h.sum) };
  if (h.min !== undefined) fields.min = asFloat(h.min);
  if (h.max !== undefined) fields.max = asFloat(h.max);
  return fields;
}

/** Rough encoded size of a metric document and its action line (the encoded body is still checked). */
export function sizeOfMetricDoc(doc: Doc): number {
  let size = 300;
  const labels = doc.labels as Record<string, unknown> | undefined;
  if (labels) for (const key in labels) size += key.length + String(labels[key]).length + 8;
  return size;
}
