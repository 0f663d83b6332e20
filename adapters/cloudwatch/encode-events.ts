import type { AnomalyEvent } from '../../src/anomaly/event.js';
import { type DimensionList, MAX_DIMENSIONS, type OnLeftOut, seriesDimensions } from './dimensions.js';
import { emfDocument } from './encode-emf.js';

// The event's own metrics: an attribute of either name is left out, as the metric keeps its member.
const METRIC_NAMES = ['AnomalyScore', 'AnomalySeverity'];

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
  // Metric must stay in the set: with Service, Environment and 28 of the user's there is no room
  // for it, so the user's last dimensions give way.
  const own = settings.dimensions.filter(([k]) => k !== 'Metric' && !METRIC_NAMES.includes(k));
  const room = MAX_DIMENSIONS - 1;
  let overLimit = Math.max(0, own.length - room);
  const fixed: DimensionList = [...own.slice(0, room), ['Metric', event.metric]];
  const dimensions = seriesDimensions(
    fixed,
    event.attributes,
    (count, reason) => {
      if (reason === 'limit') overLimit += count;
      else onLeftOut?.(count, reason);
    },
    METRIC_NAMES,
  );
  if (overLimit > 0) onLeftOut?.(overLimit, 'limit');
  const time = Number.isFinite(event.time) ? Math.round(event.time) : Date.now();
  const message = emfDocument(
    settings,
    time,
    dimensions,
    [
      { name: 'AnomalyScore', unit: 'None', values: [finite(event.score)] },
      { name: 'AnomalySeverity', unit: 'None', values: [finite(event.severity)] },
    ],
    {
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
    },
  );
  return { timestamp: time, message };
}

function finite(n: number): number {
  return Number.isFinite(n) ? n : 0;
}
