import type { AnomalyEvent } from '../../src/anomaly/event.js';
import type { DataStream } from './data-stream.js';
import { asFloat, type Doc, toLabels } from './ecs-document.js';
import { addIdentity, type DocIdentity, toIsoTime } from './encode-logs.js';

function finite(value: number | undefined): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** A figure as a float, so the first event's whole numbers never map the field as a long. */
function figure(value: number | undefined): unknown {
  const v = finite(value);
  return v === undefined ? undefined : asFloat(v);
}

/**
 * An anomaly event as an ECS alert document for the `logs-sightline.anomaly-<namespace>` data
 * stream: `event.kind: alert`, `event.action: anomaly-detected`, `event.severity` (0..100, a long), the
 * explanation as `message`, the series' attributes under `labels.*`, and the detector's figures
 * under `sightline.anomaly.*` (not ECS fields, so they get their own namespace).
 *
 * @example
 * anomalyToDoc(event, identity, stream);
 * // {"@timestamp":"...","message":"orders.placed fell to 3 ...","event":{"kind":"alert","severity":80,...},...}
 */
export function anomalyToDoc(event: AnomalyEvent, identity: DocIdentity, stream: DataStream): Doc {
  const doc: Doc = {
    '@timestamp': toIsoTime(event.time, Date.now()),
    message: String(event.explanation),
    log: { level: 'warn' },
  };
  const labels = toLabels(event.attributes ?? {});
  if (Object.keys(labels).length > 0) doc.labels = labels;
  // The event's own service fields win over the adapter's: the detector may watch another service,
  // which this process is no node of.
  const service = event.service ?? identity.service;
  const e = addIdentity(
    doc,
    {
      ...identity,
      service,
      environment: event.environment ?? identity.environment,
      node: service === identity.service ? identity.node : undefined,
    },
    stream,
    'alert',
  );
  e.action = 'anomaly-detected';
  e.module = 'sightline';
  const severity = finite(event.severity);
  if (severity !== undefined) e.severity = Math.round(severity);
  const anomaly: Doc = { metric: event.metric, kind: event.kind };
  for (const [key, value] of [
    ['observed', event.observed],
    ['expected', event.expected],
    ['score', event.score],
    ['severity', event.severity],
  ] as const) {
    const v = figure(value);
    if (v !== undefined) anomaly[key] = v;
  }
  const lower = figure(event.band?.lower);
  const upper = figure(event.band?.upper);
  if (lower !== undefined || upper !== undefined) anomaly.band = { lower, upper };
  doc.sightline = { anomaly };
  return doc;
}
