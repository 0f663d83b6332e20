/** Messages between the demo's controller and its two service processes (Node IPC). */
import type { AnomalyEvent } from 'sightline';

/** One watched series' point and learned band in one collection cycle. */
export interface BandPoint {
  /** Series name, such as `http.server.request.rate`. */
  readonly metric: string;
  readonly method: string;
  readonly route: string;
  readonly observed: number;
  readonly expected: number;
  readonly lower: number;
  readonly upper: number;
  readonly score: number;
}

/** A finished span, flattened for the report's waterfall. */
export interface SpanRecord {
  readonly service: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly name: string;
  /** OpenTelemetry SpanKind: 0 internal, 1 server, 2 client. */
  readonly kind: number;
  readonly startMs: number;
  readonly durationMs: number;
  readonly error: boolean;
  readonly route: string | undefined;
}

/** The parts of a log line the report shows. */
export interface LogRecord {
  readonly service: string;
  readonly time: number;
  readonly level: string;
  readonly msg: string;
  readonly spanId: string | undefined;
  readonly fields: Record<string, unknown>;
}

/** A fault as the service process applies it: by route, until switched off. */
export interface ServiceFault {
  readonly route: string;
  readonly latencyMs?: number;
  readonly errorRatio?: number;
}

export type ToService =
  | { readonly type: 'faults'; readonly faults: readonly ServiceFault[] }
  | { readonly type: 'slowest'; readonly id: number; readonly route: string; readonly sinceMs: number }
  | { readonly type: 'trace'; readonly id: number; readonly traceId: string }
  | { readonly type: 'stop' };

export type FromService =
  | { readonly type: 'ready'; readonly port: number }
  | { readonly type: 'bands'; readonly time: number; readonly bands: readonly BandPoint[] }
  | { readonly type: 'anomaly'; readonly event: AnomalyEvent }
  | {
      readonly type: 'slowest';
      readonly id: number;
      readonly traceId: string | undefined;
      readonly durationMs: number;
    }
  | {
      readonly type: 'trace';
      readonly id: number;
      readonly spans: readonly SpanRecord[];
      readonly logs: readonly LogRecord[];
    };
