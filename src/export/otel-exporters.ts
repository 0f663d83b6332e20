import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import {
  AggregationTemporality,
  InstrumentType,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { encodeTurn } from './encode-turns.js';
import { flattenResourceMetrics, type MetricPoint } from './metric-points.js';
import type { ExportChannel } from './spec.js';
import type { LogSink } from './types.js';

const SUCCESS: ExportResult = { code: ExportResultCode.SUCCESS };
const SHUT_DOWN: ExportResult = { code: ExportResultCode.FAILED, error: new Error('exporter is shut down') };

/** Options of {@link createMetricExporter}. */
export interface MetricExporterOptions<T> {
  /**
   * `delta`: counters, observable counters and histograms report deltas; up-down counters and gauges
   * stay cumulative (what Datadog, New Relic and CloudWatch expect). `cumulative`: everything cumulative.
   */
  readonly temporality: 'delta' | 'cumulative';
  /**
   * Turns one collection into channel items; defaults to {@link flattenResourceMetrics}. An iterable
   * that makes each item as it is taken (a generator) is taken a thousand items a turn of the event
   * loop, for conversions that cost more than a few milliseconds over a big collection.
   */
  readonly toItems?: (metrics: ResourceMetrics) => Iterable<T>;
}

/** Items a lazy conversion makes in one turn of the event loop. */
const ITEMS_PER_TURN = 1000;

/** Pushes what `items` makes, a thousand a turn; a conversion that throws loses the rest, counted. */
async function pushInTurns<T>(channel: ExportChannel<T>, items: Iterable<T>): Promise<void> {
  let n = 0;
  try {
    for (const item of items) {
      channel.push(item);
      if (++n % ITEMS_PER_TURN === 0) await encodeTurn();
    }
  } catch {
    channel.discard(1, 'encode_error');
  }
}

function deltaPreferred(type: InstrumentType): AggregationTemporality {
  switch (type) {
    case InstrumentType.COUNTER:
    case InstrumentType.OBSERVABLE_COUNTER:
    case InstrumentType.HISTOGRAM:
      return AggregationTemporality.DELTA;
    default:
      return AggregationTemporality.CUMULATIVE;
  }
}

/**
 * Makes an SDK `PushMetricExporter` out of a channel: `export` enqueues the collection's points and
 * reports SUCCESS once they are queued (delivery, retries and drops are the channel's job and show
 * in its stats).
 *
 * @example
 * const channel = createChannel<MetricPoint>({ adapter: 'datadog', signal: 'metrics', ... });
 * return { metricExporter: createMetricExporter(channel, { temporality: 'delta' }) };
 */
export function createMetricExporter(
  channel: ExportChannel<MetricPoint>,
  options: MetricExporterOptions<MetricPoint>,
): PushMetricExporter;
export function createMetricExporter<T>(
  channel: ExportChannel<T>,
  options: MetricExporterOptions<T> & { readonly toItems: (metrics: ResourceMetrics) => Iterable<T> },
): PushMetricExporter;
export function createMetricExporter<T>(
  channel: ExportChannel<T>,
  options: MetricExporterOptions<T>,
): PushMetricExporter {
  const onSkipped = (n: number) => channel.discard(n, 'invalid');
  const toItems =
    options.toItems ?? ((metrics: ResourceMetrics) => flattenResourceMetrics(metrics, onSkipped) as T[]);
  const select = options.temporality === 'delta' ? deltaPreferred : () => AggregationTemporality.CUMULATIVE;
  let shutDown = false;
  return {
    export(metrics, resultCallback) {
      if (shutDown) return resultCallback(SHUT_DOWN);
      let items: Iterable<T>;
      try {
        items = toItems(metrics);
        if (Array.isArray(items)) channel.pushAll(items);
      } catch {
        channel.discard(1, 'encode_error');
        return resultCallback(SUCCESS);
      }
      if (Array.isArray(items)) return resultCallback(SUCCESS);
      void pushInTurns(channel, items).then(() => resultCallback(SUCCESS));
    },
    selectAggregationTemporality: select,
    forceFlush: () => channel.forceFlush(),
    shutdown() {
      shutDown = true;
      return channel.shutdown();
    },
  };
}

/**
 * Makes an SDK `SpanExporter` out of a channel: `export` enqueues the spans (or what `toItems`
 * makes of them) and reports SUCCESS at once.
 *
 * @example
 * const channel = createChannel<ReadableSpan>({ adapter: 'otlp', signal: 'traces', ... });
 * return { spanExporter: createSpanExporter(channel) };
 */
export function createSpanExporter(channel: ExportChannel<ReadableSpan>): SpanExporter;
export function createSpanExporter<T>(
  channel: ExportChannel<T>,
  toItems: (spans: ReadableSpan[]) => T[],
): SpanExporter;
export function createSpanExporter<T>(
  channel: ExportChannel<T>,
  toItems?: (spans: ReadableSpan[]) => T[],
): SpanExporter {
  let shutDown = false;
  return {
    export(spans, resultCallback) {
      if (shutDown) {
        // A span of work still running at shutdown ends after it: lost, but counted as a log line
        // written after shutdown is.
        channel.discard(spans.length, 'shutdown');
        return resultCallback(SHUT_DOWN);
      }
      try {
        channel.pushAll(toItems ? toItems(spans) : (spans as T[]));
      } catch {
        channel.discard(spans.length, 'encode_error');
      }
      resultCallback(SUCCESS);
    },
    forceFlush: () => channel.forceFlush(),
    shutdown() {
      shutDown = true;
      return channel.shutdown();
    },
  };
}

/**
 * Makes a `LogSink` that ships each log line through a channel (for adapters that send logs over HTTP),
 * as the item `toItem` makes of it when the channel carries more than the line.
 *
 * @example
 * return { logSink: createLogSink(createChannel<string>({ adapter: 'datadog', signal: 'logs', ... })) };
 */
export function createLogSink(channel: ExportChannel<string>): LogSink;
export function createLogSink<T>(channel: ExportChannel<T>, toItem: (line: string) => T): LogSink;
export function createLogSink(
  channel: ExportChannel<unknown>,
  toItem: (line: string) => unknown = (line) => line,
): LogSink {
  return {
    write: (line) => {
      channel.push(toItem(line));
    },
    forceFlush: () => channel.forceFlush(),
    shutdown: () => channel.shutdown(),
  };
}
