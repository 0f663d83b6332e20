import type { AnomalyEvent } from '../../src/anomaly/event.js';
import { type DimensionList, MAX_DIMENSIONS, type OnLeftOut, seriesDimensions } from './dimensions.js';
import { emfDocument } from './encode-emf.js';

/** Settings of {@link encodeAnomalyEvent}. */
export interface EventSettings {
  readonly namespace: string;
  readonly dimensions: DimensionList;
  readonly storageResolution: 1 | 60;
}

/**
 * An anomaly event as one JSON line that is both a log event and an EMF document: the metrics
 * `AnomalyScore` (0..1) and `AnomalySeverity` (0..100) with the series' dimensions plus `Metric`
 * (the anomalous metric's name), so a CloudWatch alarm can watch them, and the event's details
 * (`message`, `anomaly.*`) as searchable fields.
 *
 * @example
 * const { message } = encodeAnomalyEvent(event, { namespace: 'Shop', dimensions: [], storageResolution: 60 });
 * JSON.parse(message).AnomalyScore; // 0.97
 */
export function encodeAnomalyEvent(
  event: AnomalyEvent,
  settings: EventSettings,
  onLeftOut?: OnLeftOut,
): { timestamp: number; message: string } {
  const time = Number.isFinite(event.time) ? Math.round(event.time) : Date.now();
  const fields = {
    level: 'warn',
    message: event.explanation,
    'event.name': 'sightline.anomaly',
    'anomaly.metric': event.metric,
    'anomaly.kind': event.kind,
    'anomaly.observed': finite(event.observed),
    'anomaly.expected': finite(event.expected),
    'anomaly.band.lower': finite(event.band.lower),
    'anomaly.band.upper': finite(event.band.upper),
    'anomaly.attributes': event.attributes,
    'service.name': event.service,
    'deployment.environment.name': event.environment,
  };
  // A dimension is a member of the document: one named as a metric or field of the event would
  // replace it (the explanation, the level), so it is left out and counted, the configured ones too.
  const taken = ['Metric', 'AnomalyScore', 'AnomalySeverity', ...Object.keys(fields)];
  const own = settings.dimensions.filter(([k]) => !taken.includes(k));
  let unusable = settings.dimensions.length - own.length;
  // Metric must stay in the set: with Service, Environment and 28 of the user's there is no room
  // for it, so the user's last dimensions give way.
  const room = MAX_DIMENSIONS - 1;
  let overLimit = Math.max(0, own.length - room);
  const fixed: DimensionList = [...own.slice(0, room), ['Metric', event.metric]];
  const dimensions = seriesDimensions(
    fixed,
    event.attributes,
    (count, reason) => {
      if (reason === 'limit') overLimit += count;
      else if (reason === 'unusable') unusable += count;
      else onLeftOut?.(count, reason);
    },
    taken,
  );
  if (overLimit > 0) onLeftOut?.(overLimit, 'limit');
  if (unusable > 0) onLeftOut?.(unusable, 'unusable');
  const message = emfDocument(
    settings,
    time,
    dimensions,
    [
      { name: 'AnomalyScore', unit: 'None', values: [finite(event.score)] },
      { name: 'AnomalySeverity', unit: 'None', values: [finite(event.severity)] },
    ],
    fields,
  );
  return { timestamp: time, message };
}

function finite(n: number): number {
  return Number.isFinite(n) ? n : 0;
}
