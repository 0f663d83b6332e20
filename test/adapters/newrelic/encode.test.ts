import { describe, expect, it } from 'vitest';
import { toNrLog } from '../../../adapters/newrelic/encode-logs.js';
import { toNrMetrics } from '../../../adapters/newrelic/encode-metrics.js';
import type { MetricPoint } from '../../../src/export/index.js';

const base = {
  description: '',
  unit: '',
  attributes: {},
  startTimeMs: 1_700_000_000_000.4,
  timeMs: 1_700_000_010_000.9,
} as const;

describe('newrelic encoders on inputs the SDK rarely produces', () => {
  it('counts NaN and infinite values as invalid and skips empty histograms', () => {
    const points: MetricPoint[] = [
      {
        ...base,
        name: 'g',
        kind: 'observableGauge',
        temporality: 'cumulative',
        monotonic: false,
        value: Number.NaN,
      },
      {
        ...base,
        name: 'c',
        kind: 'counter',
        temporality: 'delta',
        monotonic: true,
        value: Number.POSITIVE_INFINITY,
      },
      {
        ...base,
        name: 'h',
        kind: 'histogram',
        temporality: 'delta',
        monotonic: false,
        histogram: { count: 0, sum: 0, buckets: { boundaries: [], counts: [0] } },
      },
      {
        ...base,
        name: 'h2',
        kind: 'histogram',
        temporality: 'delta',
        monotonic: false,
        histogram: { count: 2, sum: 6, buckets: { boundaries: [], counts: [2] } },
      },
      { ...base, name: 'total', kind: 'counter', temporality: 'cumulative', monotonic: true, value: 9 },
    ];
    const { metrics, invalid } = toNrMetrics(points, 100);
    expect(invalid).toBe(2);
    expect(metrics).toEqual([
      // Without recorded min/max the mean stands in for both.
      {
        name: 'h2',
        type: 'summary',
        value: { count: 2, sum: 6, min: 3, max: 3 },
        timestamp: 1_700_000_000_000,
        'interval.ms': 10_000,
      },
      // A cumulative total (never asked for by this exporter) would double-count as `count`; it is a gauge.
      { name: 'total', type: 'gauge', value: 9, timestamp: 1_700_000_010_000 },
    ]);
  });

  it('reads lines shaped by another primary log format (msg, ISO time) and non-JSON lines', () => {
    const keys = { messageKey: 'msg', levelKey: 'level', timeKey: 'time', timeFormat: 'iso' } as const;
    const line = JSON.stringify({
      level: 'warn',
      time: '2023-11-14T22:13:20.000Z',
      msg: 'slow',
      message: 'user field',
      trace_id: '0af7651916cd43dd8448eb211c80319c',
      span_id: 'b7ad6b7169203331',
      'instrumentation.provider': 'x',
      'service.name': 'checkout',
    });
    expect(toNrLog(line, keys, { 'service.name': 'checkout' })).toEqual({
      timestamp: 1_700_000_000_000,
      message: 'slow',
      level: 'warn',
      attributes: {
        'attr.message': 'user field',
        'trace.id': '0af7651916cd43dd8448eb211c80319c',
        'span.id': 'b7ad6b7169203331',
        'attr.instrumentation.provider': 'x',
      },
    });
    expect(toNrLog('not json', keys, {})).toEqual({ message: 'not json' });
    expect(toNrLog('[1,2]', keys, {})).toEqual({ message: '[1,2]' });
  });
});
