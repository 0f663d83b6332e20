import type { Attributes } from '@opentelemetry/api';
import type { AnomalyKind } from './types.js';

/** One anomaly episode on one metric series, as delivered to listeners, logs, metrics and adapters. */
export interface AnomalyEvent {
  /** Metric name, such as `http.server.request.duration.p95` or `orders.placed`. */
  readonly metric: string;
  /** The series' attributes (route, method, region, ...). */
  readonly attributes: Attributes;
  /** Epoch milliseconds of the collection that flagged it. */
  readonly time: number;
  readonly observed: number;
  readonly expected: number;
  readonly band: { readonly lower: number; readonly upper: number };
  /** 0..1, the peak of the episode so far; higher is more anomalous. */
  readonly score: number;
  /** 0..100. */
  readonly severity: number;
  /** What the series did, one of the kinds the detector tells apart (see {@link AnomalyKind}). */
  readonly kind: AnomalyKind;
  /** One line a person can read: what moved, how far, against what baseline. */
  readonly explanation: string;
  readonly service: string;
  readonly environment: string;
}

/**
 * A copy of the event for a listener to keep or change, made field by field: attributes are the
 * series' own object as it was recorded, which may be one structuredClone refuses (a Proxy, as a
 * framework's reactive state is), and that must not cost the event its log line and its export.
 */
export function copyEvent(event: AnomalyEvent): AnomalyEvent {
  const attributes = Object.fromEntries(
    Object.entries(event.attributes).map(([k, v]) => [k, Array.isArray(v) ? [...v] : v]),
  ) as Attributes;
  return { ...event, attributes, band: { ...event.band } };
}
