import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { createChannel } from '../../../src/export/channel.js';
import { createStatsRegistry, registerExportMetrics, statsOf } from '../../../src/export/stats.js';
import { encodeJson, identityHolds, type Intake, startIntake } from './intake-server.js';

let intake: Intake;
afterEach(async () => {
  await intake?.close();
});

const zero = { produced: 0, delivered: 0, retried: 0, queued: 0, dropped: {} };

describe('createStatsRegistry', () => {
  it('snapshots each adapter, summing sources registered under the same name', () => {
    const registry = createStatsRegistry();
    registry.register('datadog', () => ({
      metrics: { ...zero, produced: 5, delivered: 4, dropped: { rejected: 1 } },
    }));
    registry.register('datadog', () => ({
      metrics: { ...zero, produced: 2, queued: 2 },
      logs: { ...zero, produced: 3, delivered: 3 },
    }));
    registry.register('otlp', () => ({ traces: { ...zero, produced: 1, dropped: { queue_full: 1 } } }));
    expect(registry.snapshot()).toEqual({
      datadog: {
        metrics: { produced: 7, delivered: 4, retried: 0, queued: 2, dropped: { rejected: 1 } },
        logs: { produced: 3, delivered: 3, retried: 0, queued: 0, dropped: {} },
      },
      otlp: { traces: { produced: 1, delivered: 0, retried: 0, queued: 0, dropped: { queue_full: 1 } } },
    });
  });

  it('skips a source that throws', () => {
    const registry = createStatsRegistry();
    registry.register('bad', () => {
      throw new Error('boom');
    });
    registry.register('good', () => ({ logs: { ...zero, produced: 1, delivered: 1 } }));
    expect(Object.keys(registry.snapshot())).toEqual(['good']);
  });

  it('reads live channels through statsOf', async () => {
    intake = await startIntake(() => ({ status: 400 }));
    const make = (signal: 'metrics' | 'logs') =>
      createChannel<number>(
        {
          adapter: 'nr',
          signal,
          url: new URL(`${intake.url}/x`),
          limits: { maxItems: 10, maxBytes: 1e6 },
          encode: encodeJson,
        },
        { flushIntervalMs: 60_000 },
      );
    const metrics = make('metrics');
    const logs = make('logs');
    const registry = createStatsRegistry();
    registry.register('newrelic', statsOf(metrics, logs));
    metrics.pushAll([1, 2]);
    logs.push(3);
    await Promise.all([metrics.forceFlush(5000), logs.forceFlush(5000)]);
    const snap = registry.snapshot().newrelic;
    expect(snap?.metrics).toMatchObject({ produced: 2, dropped: { rejected: 2 } });
    expect(snap?.logs).toMatchObject({ produced: 1, dropped: { rejected: 1 } });
    expect(identityHolds(snap!.metrics!)).toBe(true);
  });
});

describe('registerExportMetrics', () => {
  it('publishes sightline.export.items and sightline.export.queue.depth on the given meter', async () => {
    const registry = createStatsRegistry();
    let stats = {
      ...zero,
      produced: 10,
      delivered: 6,
      retried: 2,
      queued: 1,
      dropped: { rejected: 2, queue_full: 1 },
    };
    registry.register('datadog', () => ({ logs: stats }));
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
    const provider = new MeterProvider({ readers: [reader] });
    const stop = registerExportMetrics(provider.getMeter('sightline'), registry);

    await reader.forceFlush();
    const read = () => {
      const metrics = exporter.getMetrics().at(-1)!.scopeMetrics[0]!.metrics;
      const find = (name: string) => metrics.find((m) => m.descriptor.name === name)!;
      return {
        items: find('sightline.export.items').dataPoints.map((d) => [d.attributes, d.value]),
        depth: find('sightline.export.queue.depth').dataPoints.map((d) => [d.attributes, d.value]),
      };
    };
    const first = read();
    const base = { adapter: 'datadog', signal: 'logs' };
    expect(first.items).toEqual(
      expect.arrayContaining([
        [{ ...base, outcome: 'produced' }, 10],
        [{ ...base, outcome: 'delivered' }, 6],
        [{ ...base, outcome: 'retried' }, 2],
        [{ ...base, outcome: 'dropped', reason: 'rejected' }, 2],
        [{ ...base, outcome: 'dropped', reason: 'queue_full' }, 1],
      ]),
    );
    expect(first.items).toHaveLength(5);
    expect(first.depth).toEqual([[base, 1]]);

    stats = { ...stats, produced: 12, delivered: 8, queued: 0 };
    await reader.forceFlush();
    expect(read().depth).toEqual([[base, 0]]);
    expect(read().items).toEqual(expect.arrayContaining([[{ ...base, outcome: 'produced' }, 12]]));

    // Once stopped, the registry is no longer read: new counts never show up.
    stop();
    stats = { ...stats, produced: 99 };
    await reader.forceFlush();
    expect(read().items).not.toEqual(expect.arrayContaining([[{ ...base, outcome: 'produced' }, 99]]));
    await provider.shutdown();
  });
});
