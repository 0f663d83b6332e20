import type { BatchObservableCallback, Meter } from '@opentelemetry/api';
import type { AdapterStats, DropReason, Signal, SignalStats } from './types.js';

/** Collects every adapter's stats sources; backs `obs.stats()` and the `sightline.export.*` metrics. */
export interface StatsRegistry {
  /** Adds a source; several sources under one adapter name are summed signal by signal. */
  register(adapterName: string, source: () => AdapterStats): void;
  /** A fresh copy of every adapter's counts. A source that throws is skipped. */
  snapshot(): Record<string, AdapterStats>;
}

/**
 * Creates the registry the Sightline core hands to adapters as `AdapterContext.registerStats`.
 *
 * @example
 * const registry = createStatsRegistry();
 * registry.register('datadog', statsOf(metricsChannel, logsChannel));
 * registry.snapshot(); // { datadog: { metrics: { produced, delivered, ... }, logs: { ... } } }
 */
export function createStatsRegistry(): StatsRegistry {
  const sources: { name: string; source: () => AdapterStats }[] = [];
  return {
    register(adapterName, source) {
      sources.push({ name: adapterName, source });
    },
    snapshot() {
      const out: Record<string, AdapterStats> = {};
      for (const { name, source } of sources) {
        let stats: AdapterStats;
        try {
          stats = source();
        } catch {
          continue;
        }
        const into = out[name] ?? {};
        out[name] = into;
        for (const [signal, s] of Object.entries(stats) as [Signal, SignalStats | undefined][]) {
          if (s) into[signal] = addStats(into[signal], s);
        }
      }
      return out;
    },
  };
}

/** What the core reads of an export channel: its counts, and its shutdown to end it at a deadline. */
export interface CountedChannel {
  readonly signal: Signal;
  stats(): SignalStats;
  shutdown(timeoutMs?: number): Promise<void>;
}

// On a global symbol, so a source made by the package's other copy (CommonJS beside ESM) is read too.
const CHANNELS = Symbol.for('sightline.export.channels');

/**
 * Builds a stats source from an adapter's channels (one per signal). The source carries the
 * channels, so `shutdown()` can end them at its deadline ({@link channelsOf}).
 *
 * @example
 * ctx.registerStats('datadog', statsOf(metricsChannel, logsChannel));
 */
export function statsOf(...channels: CountedChannel[]): () => AdapterStats {
  const source = () => {
    const out: AdapterStats = {};
    for (const channel of channels) out[channel.signal] = addStats(out[channel.signal], channel.stats());
    return out;
  };
  return Object.assign(source, { [CHANNELS]: channels });
}

/** The channels a source made by {@link statsOf} reports on; none for a source made otherwise. */
export function channelsOf(source: unknown): readonly CountedChannel[] {
  const channels = (source as { [CHANNELS]?: unknown } | null | undefined)?.[CHANNELS];
  return Array.isArray(channels) ? channels : [];
}

function addStats(a: SignalStats | undefined, b: SignalStats): SignalStats {
  const dropped: Partial<Record<DropReason, number>> = { ...a?.dropped };
  for (const [reason, n] of Object.entries(b.dropped) as [DropReason, number][]) {
    dropped[reason] = (dropped[reason] ?? 0) + n;
  }
  return {
    produced: (a?.produced ?? 0) + b.produced,
    delivered: (a?.delivered ?? 0) + b.delivered,
    retried: (a?.retried ?? 0) + b.retried,
    queued: (a?.queued ?? 0) + b.queued,
    dropped,
  };
}

/**
 * Publishes the registry as OpenTelemetry metrics on `meter`: the observable counter
 * `sightline.export.items` (`adapter`, `signal`, `outcome` = produced|delivered|retried|dropped,
 * plus `reason` for drops) and the observable gauge `sightline.export.queue.depth`
 * (`adapter`, `signal`). Returns a function that stops observing.
 *
 * @example
 * const stop = registerExportMetrics(meterProvider.getMeter('sightline'), registry);
 */
export function registerExportMetrics(meter: Meter, registry: StatsRegistry): () => void {
  const items = meter.createObservableCounter('sightline.export.items', {
    description: 'Telemetry items handled by sightline exporters, by outcome.',
    unit: '{item}',
  });
  const depth = meter.createObservableGauge('sightline.export.queue.depth', {
    description: 'Items queued or in flight in a sightline export channel.',
    unit: '{item}',
  });
  const callback: BatchObservableCallback = (result) => {
    for (const [adapter, stats] of Object.entries(registry.snapshot())) {
      for (const [signal, s] of Object.entries(stats) as [Signal, SignalStats | undefined][]) {
        if (!s) continue;
        result.observe(items, s.produced, { adapter, signal, outcome: 'produced' });
        result.observe(items, s.delivered, { adapter, signal, outcome: 'delivered' });
        result.observe(items, s.retried, { adapter, signal, outcome: 'retried' });
        for (const [reason, n] of Object.entries(s.dropped)) {
          result.observe(items, n ?? 0, { adapter, signal, outcome: 'dropped', reason });
        }
        result.observe(depth, s.queued, { adapter, signal });
      }
    }
  };
  meter.addBatchObservableCallback(callback, [items, depth]);
  return () => meter.removeBatchObservableCallback(callback, [items, depth]);
}
