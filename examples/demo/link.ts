/**
 * The service processes' sightline adapter: forwards each collection's anomaly bands and every
 * anomaly event to the controller, and keeps recent spans and log lines in bounded rings so the
 * controller can ask for one trace at the end. An ordinary adapter, built on the public types.
 */
import type { PushMetricExporter, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { SightlineAdapter } from 'sightline';
import type { BandPoint, FromService, LogRecord, SpanRecord } from './protocol.js';

const BAND_PREFIX = 'sightline.anomaly.';
const EDGES = ['observed', 'expected', 'lower', 'upper', 'score'] as const;
type Edge = (typeof EDGES)[number];

/** A ring of the last `limit` items. */
class Ring<T> {
  private readonly items: T[] = [];
  private next = 0;
  constructor(private readonly limit: number) {}
  push(item: T): void {
    if (this.items.length < this.limit) this.items.push(item);
    else this.items[this.next] = item;
    this.next = (this.next + 1) % this.limit;
  }
  filter(keep: (item: T) => boolean): T[] {
    return this.items.filter(keep);
  }
}

export interface DemoLink extends SightlineAdapter {
  /** The trace id and duration of the slowest server span of `route` that started after `sinceMs`. */
  slowest(route: string, sinceMs: number): { traceId: string | undefined; durationMs: number };
  /** The spans and log lines of one trace that this process kept. */
  trace(traceId: string): { spans: SpanRecord[]; logs: LogRecord[] };
}

const TRACE_ID = /"trace_id":"([0-9a-f]{32})"/;
const hrMs = (t: [number, number]) => t[0] * 1000 + t[1] / 1e6;

/**
 * Creates the adapter. `send` delivers a message to the controller (`process.send`).
 *
 * @example
 * const link = demoLink('inventory-api', (m) => process.send?.(m));
 * const obs = init({ service: 'inventory-api', exporters: [link], anomaly: { exportBands: true } });
 */
export function demoLink(service: string, send: (message: FromService) => void, limit = 20_000): DemoLink {
  const spans = new Ring<SpanRecord>(limit);
  const logs = new Ring<{ traceId: string; line: string }>(limit);

  const metricExporter: PushMetricExporter = {
    export(rm: ResourceMetrics, done) {
      send({ type: 'bands', time: Date.now(), bands: readBands(rm) });
      done({ code: 0 });
    },
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
  const spanExporter: SpanExporter = {
    export(batch: ReadableSpan[], done) {
      for (const s of batch) spans.push(toRecord(service, s));
      done({ code: 0 });
    },
    shutdown: () => Promise.resolve(),
  };

  return {
    name: 'demo-link',
    setup: () => ({
      metricExporter,
      spanExporter,
      logSink: {
        write(line: string) {
          // Only lines inside a trace can be shown beside a waterfall; parsed when asked for.
          const traceId = TRACE_ID.exec(line)?.[1];
          if (traceId !== undefined) logs.push({ traceId, line });
        },
      },
      eventSink: (event) => send({ type: 'anomaly', event }),
    }),
    slowest(route, sinceMs) {
      let best: SpanRecord | undefined;
      for (const s of spans.filter((x) => x.kind === 1 && x.route === route && x.startMs >= sinceMs))
        if (best === undefined || s.durationMs > best.durationMs) best = s;
      return { traceId: best?.traceId, durationMs: best?.durationMs ?? 0 };
    },
    trace(traceId) {
      return {
        spans: spans.filter((s) => s.traceId === traceId),
        logs: logs.filter((l) => l.traceId === traceId).flatMap((l) => toLogRecord(service, l.line)),
      };
    },
  };
}

function readBands(rm: ResourceMetrics): BandPoint[] {
  const bySeries = new Map<string, Record<string, unknown> & Partial<Record<Edge, number>>>();
  for (const scope of rm.scopeMetrics) {
    for (const metric of scope.metrics) {
      const name = metric.descriptor.name;
      if (!name.startsWith(BAND_PREFIX)) continue;
      const edge = name.slice(BAND_PREFIX.length) as Edge;
      if (!EDGES.includes(edge)) continue;
      for (const point of metric.dataPoints) {
        const a = point.attributes;
        const key = `${String(a['sightline.metric'])} ${String(a['http.request.method'])} ${String(a['http.route'])}`;
        let entry = bySeries.get(key);
        if (entry === undefined) {
          entry = {
            metric: String(a['sightline.metric']),
            method: String(a['http.request.method'] ?? ''),
            route: String(a['http.route'] ?? ''),
          };
          bySeries.set(key, entry);
        }
        if (typeof point.value === 'number') entry[edge] = point.value;
      }
    }
  }
  const out: BandPoint[] = [];
  for (const e of bySeries.values()) {
    if (e.observed === undefined) continue;
    out.push({
      metric: String(e.metric),
      method: String(e.method),
      route: String(e.route),
      observed: e.observed,
      expected: e.expected ?? Number.NaN,
      lower: e.lower ?? Number.NaN,
      upper: e.upper ?? Number.NaN,
      score: e.score ?? 0,
    });
  }
  return out;
}

function toRecord(service: string, s: ReadableSpan): SpanRecord {
  const route = s.attributes['http.route'];
  const method = s.attributes['http.request.method'];
  return {
    service,
    traceId: s.spanContext().traceId,
    spanId: s.spanContext().spanId,
    parentSpanId: s.parentSpanContext?.spanId,
    name: s.name,
    kind: s.kind,
    startMs: hrMs(s.startTime),
    durationMs: hrMs(s.duration),
    error: s.status.code === 2,
    route: route !== undefined ? `${String(method ?? '')} ${String(route)}`.trim() : undefined,
  };
}

const LEVELS: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};
const SKIP = new Set([
  'level',
  'time',
  'msg',
  'trace_id',
  'span_id',
  'trace_flags',
  'service.name',
  'deployment.environment.name',
  'service.version',
  'pid',
  'hostname',
]);

function toLogRecord(service: string, text: string): LogRecord[] {
  let line: Record<string, unknown>;
  try {
    line = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return [];
  }
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(line)) if (!SKIP.has(k)) fields[k] = v;
  const level = line.level;
  return [
    {
      service,
      time: typeof line.time === 'number' ? line.time : Date.parse(String(line.time)),
      level: typeof level === 'number' ? (LEVELS[level] ?? String(level)) : String(level),
      msg: String(line.msg ?? ''),
      spanId: typeof line.span_id === 'string' ? line.span_id : undefined,
      fields,
    },
  ];
}
