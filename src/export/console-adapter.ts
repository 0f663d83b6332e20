import type { ExportResult } from '@opentelemetry/core';
import {
  AggregationTemporality,
  DataPointType,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-node';
import type { Sightline } from '../api/types.js';
import type { SightlineAdapter } from './types.js';

const SUCCESS: ExportResult = { code: 0 };
const MAX_LINES = 12;

interface SpanTally {
  count: number;
  errors: number;
  totalMs: number;
}

/**
 * The embedded default when no backend is configured: logs on stdout (pretty on a terminal,
 * JSON otherwise) and, each metric interval, a one-screen summary of metrics and finished spans.
 */
export function consoleAdapter(instance: () => Sightline | undefined): SightlineAdapter {
  return {
    name: 'console',
    setup() {
      const spans = new Map<string, SpanTally>();
      const spanExporter: SpanExporter = {
        export(batch: ReadableSpan[], done: (r: ExportResult) => void) {
          for (const s of batch) {
            let t = spans.get(s.name);
            if (t === undefined) {
              // Span names are route templates and user names; a cap keeps a bad one from growing this map.
              if (spans.size >= 200) continue;
              t = { count: 0, errors: 0, totalMs: 0 };
              spans.set(s.name, t);
            }
            t.count++;
            if (s.status.code === 2) t.errors++;
            t.totalMs += s.duration[0] * 1e3 + s.duration[1] / 1e6;
          }
          done(SUCCESS);
        },
        shutdown: () => Promise.resolve(),
      };
      const metricExporter: PushMetricExporter = {
        export(rm: ResourceMetrics, done: (r: ExportResult) => void) {
          try {
            const summary = summarise(rm, spans);
            spans.clear();
            if (summary.metrics.length > 0 || summary.spans.length > 0) {
              instance()?.log.info({ summary }, 'sightline summary');
            }
          } catch {
            // The summary is a courtesy; never let it fail the collection.
          }
          done(SUCCESS);
        },
        forceFlush: () => Promise.resolve(),
        shutdown: () => Promise.resolve(),
        selectAggregationTemporality: () => AggregationTemporality.DELTA,
      };
      return { spanExporter, metricExporter };
    },
  };
}

function label(name: string, attributes: Record<string, unknown>): string {
  const keys = Object.keys(attributes);
  if (keys.length === 0) return name;
  return `${name}{${keys.map((k) => `${k}=${String(attributes[k])}`).join(',')}}`;
}

function summarise(rm: ResourceMetrics, spans: Map<string, SpanTally>) {
  const metrics: string[] = [];
  for (const scope of rm.scopeMetrics) {
    if (scope.scope.name === 'sightline') continue;
    for (const m of scope.metrics) {
      for (const dp of m.dataPoints) {
        if (metrics.length >= MAX_LINES) break;
        const name = label(m.descriptor.name, dp.attributes);
        if (m.dataPointType === DataPointType.HISTOGRAM) {
          const h = dp.value as { count: number; sum?: number; max?: number };
          if (h.count === 0) continue;
          const avg = (h.sum ?? 0) / h.count;
          metrics.push(`${name} count=${h.count} avg=${round(avg)} max=${round(h.max ?? 0)}`);
        } else {
          metrics.push(`${name} ${round(dp.value as number)}`);
        }
      }
    }
  }
  const spanLines = [...spans.entries()]
    .sort((a, b) => b[1].count - a[1].count)
    .slice(0, MAX_LINES)
    .map(([name, t]) => `${name} count=${t.count} errors=${t.errors} avg_ms=${round(t.totalMs / t.count)}`);
  return { metrics, spans: spanLines };
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
