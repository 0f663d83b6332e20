import type { Attributes } from '@opentelemetry/api';

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
  readonly kind: string;
  /** One line a person can read: what moved, how far, against what baseline. */
  readonly explanation: string;
  readonly service: string;
  readonly environment: string;
}
