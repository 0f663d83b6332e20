import type { ExportResult } from '@opentelemetry/core';
import {
  AggregationTemporality,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-node';
import type { AnomalyEvent } from '../anomaly/event.js';
import { checkObject, optionalPositiveInt } from '../export/adapter-options.js';
import { flattenResourceMetrics, type MetricKind } from '../export/metric-points.js';
import type { SightlineAdapter } from '../export/types.js';

const SUCCESS: ExportResult = { code: 0 };

/** One metric point as `metrics()` returns it. */
export interface MemoryMetricPoint {
  name: string;
  kind: MetricKind;
  unit: string;
  attributes: Record<string, unknown>;
  value: number | { count: number; sum: number; min?: number; max?: number };
}

export interface MemoryExporter extends SightlineAdapter {
  /** Finished spans, oldest first. */
  spans(): ReadableSpan[];
  /** The points of the latest collection (`await obs.forceFlush()` collects), cumulative. */
  metrics(): MemoryMetricPoint[];
  /** Each log line as the plain object written as JSON. */
  logs(): Record<string, unknown>[];
  /** Anomaly events, oldest first. */
  events(): AnomalyEvent[];
  /** Forgets what is kept; metric values stay cumulative since `init()`. */
  reset(): void;
}

export interface MemoryExporterOptions {
  /** Most items kept per signal; the oldest go first. Default 10,000. */
  limit?: number | undefined;
}

/**
 * An adapter that keeps everything in memory, for your own tests.
 *
 * @throws SightlineConfigError on an unknown option or a `limit` that is no whole number of at least 1.
 * @example
 * import { init } from 'sightline';
 * import { memoryExporter } from 'sightline/testing';
 * const memory = memoryExporter();
 * const obs = init({ service: 'test', exporters: [memory] });
 * obs.metrics.counter('orders').add(1);
 * await obs.forceFlush();
 * memory.metrics(); // [{ name: 'orders', kind: 'counter', value: 1, ... }]
 */
export function memoryExporter(options: MemoryExporterOptions = {}): MemoryExporter {
  checkObject('memoryExporter', options, ['limit']);
  const limit = optionalPositiveInt('memoryExporter.limit', options.limit) ?? 10_000;
  let spans: ReadableSpan[] = [];
  let lines: string[] = [];
  let events: AnomalyEvent[] = [];
  let latest: ResourceMetrics | undefined;

  const push = <T>(list: T[], item: T) => {
    list.push(item);
    if (list.length > limit) list.shift();
  };

  const spanExporter: SpanExporter = {
    export(batch: ReadableSpan[], done: (r: ExportResult) => void) {
      for (const s of batch) push(spans, s);
      done(SUCCESS);
    },
    shutdown: () => Promise.resolve(),
  };
  const metricExporter: PushMetricExporter = {
    export(rm: ResourceMetrics, done: (r: ExportResult) => void) {
      latest = rm;
      done(SUCCESS);
    },
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
    selectAggregationTemporality: () => AggregationTemporality.CUMULATIVE,
  };

  return {
    name: 'memory',
    setup() {
      return {
        spanExporter,
        metricExporter,
        logSink: { write: (line: string) => push(lines, line) },
        eventSink: (event: AnomalyEvent) => push(events, event),
      };
    },
    spans: () => [...spans],
    metrics() {
      if (latest === undefined) return [];
      return flattenResourceMetrics(latest).map((p) => ({
        name: p.name,
        kind: p.kind,
        unit: p.unit,
        attributes: { ...p.attributes },
        value:
          p.kind === 'histogram'
            ? { count: p.histogram.count, sum: p.histogram.sum, min: p.histogram.min, max: p.histogram.max }
            : p.value,
      }));
    },
    logs: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
    events: () => [...events],
    reset() {
      spans = [];
      lines = [];
      events = [];
      latest = undefined;
    },
  };
}
