import {
  baggageEntryMetadataFromString,
  defaultTextMapSetter,
  propagation,
  ROOT_CONTEXT,
} from '@opentelemetry/api';
import { suppressTracing, W3CBaggagePropagator } from '@opentelemetry/core';
import { describe, expect, it } from 'vitest';
import { baggageCounted, W3CBaggageReader } from '../../../src/traces/w3c-propagators.js';

/** The baggage header each propagator writes of the context's baggage. */
function written(
  entries: Record<string, { value: string; metadata?: ReturnType<typeof baggageEntryMetadataFromString> }>,
) {
  const ctx = propagation.setBaggage(ROOT_CONTEXT, propagation.createBaggage(entries));
  const drops = counter();
  const ours: Record<string, string> = {};
  const theirs: Record<string, string> = {};
  new W3CBaggageReader(drops).inject(ctx, ours, defaultTextMapSetter);
  new W3CBaggagePropagator().inject(ctx, theirs, defaultTextMapSetter);
  return { ours: ours.baggage, theirs: theirs.baggage, left: drops.counts.baggage_limit ?? 0 };
}

/** A drop counter's counts, by reason. */
function counter() {
  const counts: Record<string, number> = {};
  return {
    counts,
    add(reason: string, n = 1) {
      counts[reason] = (counts[reason] ?? 0) + n;
    },
  };
}

describe("sightline's baggage propagator", () => {
  it("writes OpenTelemetry's header, counting the entries it leaves out", () => {
    const { ours, theirs, left } = written({
      'a b': { value: 'x,y;z=é' },
      m: { value: '1', metadata: baggageEntryMetadataFromString('ttl=5') },
      // Over 4,096 bytes alone.
      big: { value: 'v'.repeat(5000) },
      // 200 more, some of 300 bytes: past 8,192 bytes, then past 180 entries.
      ...Object.fromEntries(
        Array.from({ length: 200 }, (_, i) => [`k${i}`, { value: 'v'.repeat(i % 7 === 0 ? 300 : 20) }]),
      ),
    });
    expect(ours).toBe(theirs);
    expect(203 - String(ours).split(',').length).toBe(left);
    expect(left).toBeGreaterThan(1);
  });

  it('counts nothing where all fit, none where tracing is suppressed, and none for a context already counted', () => {
    const { ours, left } = written({ tenant: { value: 'acme' } });
    expect(ours).toBe('tenant=acme');
    expect(left).toBe(0);
    const many = propagation.setBaggage(
      ROOT_CONTEXT,
      propagation.createBaggage(
        Object.fromEntries(Array.from({ length: 181 }, (_, i) => [`k${i}`, { value: '1' }])),
      ),
    );
    const drops = counter();
    const reader = new W3CBaggageReader(drops);
    const carrier: Record<string, string> = {};
    reader.inject(suppressTracing(many), carrier, defaultTextMapSetter);
    expect(carrier).toEqual({});
    reader.inject(baggageCounted(many), carrier, defaultTextMapSetter);
    expect(carrier.baggage?.split(',')).toHaveLength(180);
    expect(drops.counts.baggage_limit).toBeUndefined();
    reader.inject(many, {}, defaultTextMapSetter);
    expect(drops.counts.baggage_limit).toBe(1);
  });
});
