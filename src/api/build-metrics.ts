import { metrics } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  InstrumentType,
  MeterProvider,
  type MetricReader,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { HTTP_DURATION } from '../anomaly/engine-series.js';
import type { ResolvedConfig } from '../config/types.js';
import { boundedCumulative, collectionLimit } from '../export/bounded-cumulative.js';
import type { AdapterParts } from '../export/types.js';
import { MAX_TIMER_MS } from '../internal/timer-ms.js';
import type { WatchedMeter } from '../metrics/instruments.js';
import type { KeyedHistograms } from '../metrics/keyed-histograms.js';

/** The longest a collection waits for its callbacks and its export, as the SDK's default. */
const COLLECT_TIMEOUT_MS = 30_000;

export interface MeterPipeline {
  readonly provider: MeterProvider;
  readonly registeredGlobal: boolean;
  /**
   * The shortest time a collection waits for observable callbacks: each reader's export timeout,
   * as the anomaly engine's, is its interval up to 30 s.
   */
  readonly collectTimeoutMs: number;
}

/**
 * One periodic reader per adapter, so each keeps its own interval and temporality (Datadog, New
 * Relic and CloudWatch want delta; OTLP cumulative). The cardinality limit caps series per
 * instrument; the rest fold into the overflow series (`otel.metric.overflow=true`) in
 * `boundedCumulative`, which keeps the first series seen apart in every collection (for a delta
 * exporter, while they are recorded), its reader given room for more: the SDK's delta storage
 * would give its places to the series recorded first in each collection. Each
 * reader also collects the keyed histograms (the HTTP durations), which are recorded outside the SDK.
 */
export function buildMeterProvider(
  config: ResolvedConfig,
  resource: Resource,
  parts: readonly AdapterParts[],
  histograms: KeyedHistograms,
): MeterPipeline {
  const limit = config.cardinalityLimit;
  const readers: MetricReader[] = [];
  let collectTimeoutMs = Math.min(config.metricInterval, COLLECT_TIMEOUT_MS);
  for (const p of parts) {
    if (!p.metricExporter) continue;
    // An adapter's interval past a timer's range would fire every millisecond; past it, it is as long as one.
    const interval = Math.min(p.metricIntervalMs ?? config.metricInterval, MAX_TIMER_MS);
    collectTimeoutMs = Math.min(collectTimeoutMs, interval);
    const exporter = boundedCumulative(p.metricExporter, limit);
    const limitOf = collectionLimit(p.metricExporter, limit);
    readers.push(
      new PeriodicExportingMetricReader({
        exporter,
        metricProducers: [
          histograms.producer(
            () =>
              exporter.selectAggregationTemporality?.(InstrumentType.HISTOGRAM) ??
              AggregationTemporality.CUMULATIVE,
            limitOf(InstrumentType.HISTOGRAM),
          ),
        ],
        exportIntervalMillis: interval,
        exportTimeoutMillis: Math.min(interval, COLLECT_TIMEOUT_MS),
        cardinalityLimits: {
          default: limit,
          counter: limitOf(InstrumentType.COUNTER),
          histogram: limitOf(InstrumentType.HISTOGRAM),
          gauge: limitOf(InstrumentType.GAUGE),
          upDownCounter: limitOf(InstrumentType.UP_DOWN_COUNTER),
          observableCounter: limitOf(InstrumentType.OBSERVABLE_COUNTER),
          observableUpDownCounter: limitOf(InstrumentType.OBSERVABLE_UP_DOWN_COUNTER),
          observableGauge: limitOf(InstrumentType.OBSERVABLE_GAUGE),
        },
      }),
    );
  }
  const provider = new MeterProvider({ resource, readers });
  const registeredGlobal = metrics.setGlobalMeterProvider(provider);
  return { provider, registeredGlobal, collectTimeoutMs };
}

/**
 * The anomaly engine's reader on a provider of its own, fed only by the instruments it watches
 * (`detect: true`, and the HTTP server duration when it watches HTTP). As a second reader on the
 * main provider it would make every other recording cost twice: the SDK keeps one storage per
 * reader and hashes the attributes for each.
 */
export function buildWatchedMeter(
  resource: Resource,
  engine: MetricReader,
  service: string,
  watchHttp: boolean,
): { provider: MeterProvider; watch: WatchedMeter } {
  const provider = new MeterProvider({ resource, readers: [engine] });
  return {
    provider,
    watch: {
      meter: provider.getMeter(service),
      watches: (name, options) => options?.detect === true || (watchHttp && name === HTTP_DURATION),
    },
  };
}
