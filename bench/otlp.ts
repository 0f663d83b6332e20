import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import {
  JsonMetricsSerializer,
  JsonTraceSerializer,
  ProtobufMetricsSerializer,
  ProtobufTraceSerializer,
} from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { createOtlpMetricExporter, createOtlpTraceExporter, type OtlpProtocol } from '../src/export/otlp.js';
import { printTable, type Row } from './harness.js';

const resource = resourceFromAttributes({
  'service.name': 'checkout',
  'deployment.environment.name': 'bench',
});

class ManualReader extends MetricReader {
  constructor() {
    // The SDK caps series at 2,000 per instrument by default; the benchmark wants 10,000.
    super({ cardinalitySelector: () => 100_000 });
  }
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

/** One collection holding `series` cumulative counter series, as a busy service would export. */
async function collectMetrics(series: number): Promise<ResourceMetrics> {
  const reader = new ManualReader();
  const provider = new MeterProvider({ resource, readers: [reader] });
  const counter = provider.getMeter('checkout').createCounter('orders.placed', { unit: '{order}' });
  for (let i = 0; i < series; i++)
    counter.add(i + 1, { 'customer.id': `c-${i}`, region: i % 2 ? 'eu' : 'us' });
  const { resourceMetrics } = await reader.collect();
  await provider.shutdown();
  return resourceMetrics;
}

/** `count` ended spans with a few attributes each, kept by a processor. */
async function makeSpans(count: number): Promise<ReadableSpan[]> {
  const spans: ReadableSpan[] = [];
  const keep: SpanProcessor = {
    onStart() {},
    onEnd: (span) => {
      spans.push(span);
    },
    forceFlush: async () => {},
    shutdown: async () => {},
  };
  const provider = new NodeTracerProvider({ resource, spanProcessors: [keep] });
  const tracer = provider.getTracer('checkout');
  for (let i = 0; i < count; i++) {
    const span = tracer.startSpan('POST /orders', {
      attributes: {
        'http.request.method': 'POST',
        'http.route': '/orders',
        'order.id': `o-${i}`,
        amount: i * 1.5,
      },
    });
    span.end();
  }
  await provider.shutdown();
  return spans;
}

async function startDiscardServer(): Promise<{ url: string; bytes: () => number; close(): Promise<void> }> {
  let bytes = 0;
  const server = createServer((req, res) => {
    req.on('data', (c: Buffer) => {
      bytes += c.byteLength;
    });
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bytes: () => bytes,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface Variant {
  signal: 'metrics' | 'traces';
  protocol: OtlpProtocol;
  gzip: boolean;
}

/**
 * Cost of encoding and sending 10,000 metric series and 10,000 spans per export cycle through the
 * shared OTLP exporters to a discarding loopback collector, in protobuf and JSON: the serializer
 * alone on the whole collection, then export + batching (1,000 points / 512 spans per request) +
 * gzip + send, with the event loop's worst stall during the cycle.
 */
export async function runOtlpBench(options: { cycles?: number; items?: number } = {}): Promise<Row[]> {
  const cycles = options.cycles ?? 10;
  const items = options.items ?? 10_000;
  const metrics = await collectMetrics(items);
  const spans = await makeSpans(items);
  const server = await startDiscardServer();
  const rows: Row[] = [];
  const variants: Variant[] = [];
  for (const signal of ['metrics', 'traces'] as const)
    for (const protocol of ['http/protobuf', 'http/json'] as const)
      for (const gzip of [true, false]) variants.push({ signal, protocol, gzip });

  for (const { signal, protocol, gzip } of variants) {
    const config = {
      adapter: 'bench',
      url: new URL(`${server.url}/v1/${signal}`),
      protocol,
      channel: { gzip, queueSize: items * 2, flushIntervalMs: 60_000 },
    };
    const json = protocol === 'http/json';
    const { exporter, channel } =
      signal === 'metrics'
        ? createOtlpMetricExporter({ ...config, temporality: 'cumulative' })
        : createOtlpTraceExporter(config);
    const encodeOnce =
      signal === 'metrics'
        ? () => (json ? JsonMetricsSerializer : ProtobufMetricsSerializer).serializeRequest(metrics)
        : () => (json ? JsonTraceSerializer : ProtobufTraceSerializer).serializeRequest(spans as never);
    const exportOnce = (): void =>
      signal === 'metrics'
        ? (exporter as ReturnType<typeof createOtlpMetricExporter>['exporter']).export(metrics, () => {})
        : (exporter as ReturnType<typeof createOtlpTraceExporter>['exporter']).export(spans, () => {});

    const encodeMs: number[] = [];
    const cycleMs: number[] = [];
    const stallMs: number[] = [];
    const before = server.bytes();
    for (let c = 0; c < cycles + 2; c++) {
      const e0 = process.hrtime.bigint();
      const body = encodeOnce();
      const e1 = process.hrtime.bigint();
      const loop = monitorEventLoopDelay({ resolution: 1 });
      loop.enable();
      const t0 = process.hrtime.bigint();
      exportOnce();
      await channel.forceFlush(60_000);
      const t1 = process.hrtime.bigint();
      loop.disable();
      // The first two cycles warm the JIT and the keep-alive connection.
      if (c < 2 || body === undefined) continue;
      encodeMs.push(Number(e1 - e0) / 1e6);
      cycleMs.push(Number(t1 - t0) / 1e6);
      stallMs.push(loop.max / 1e6);
    }
    const stats = channel.stats();
    await exporter.shutdown();
    rows.push({
      signal: signal === 'metrics' ? `${items} series` : `${items} spans`,
      protocol,
      gzip: gzip ? 'yes' : 'no',
      'encode ms (all items)': round(median(encodeMs)),
      'cycle ms (export+send)': round(median(cycleMs)),
      'µs/item end to end': round((median(cycleMs) * 1000) / items),
      'max loop stall ms': round(median(stallMs)),
      'wire KB/cycle': round((server.bytes() - before) / (cycles + 2) / 1024),
      delivered: stats.delivered,
      dropped: Object.values(stats.dropped).reduce<number>((a, b) => a + (b ?? 0), 0),
    });
  }
  await server.close();
  return rows;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  printTable(
    'OTLP: 10,000 metric series and 10,000 spans per cycle, loopback collector (median of 10 cycles)',
    await runOtlpBench(),
  );
}
