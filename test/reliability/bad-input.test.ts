/**
 * Property tests over the public API: after `init()`, no value, attribute set, log object, span name
 * or option makes sightline throw into the caller or write to a prototype.
 */
import { SpanKind } from '@opentelemetry/api';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init, type Sightline } from '../../src/index.js';
import { memoryExporter } from '../../src/testing/index.js';
import { attributeSet, hostile, prototypesClean } from './hostile-values.js';

let obs: Sightline;
const memory = memoryExporter();
let written = 0;
/** Lines written since a test last emptied it. */
const lines: string[] = [];

beforeAll(() => {
  obs = init({
    service: 'hostile',
    exporters: [memory],
    logStream: {
      write: (line: string) => {
        written++;
        if (lines.length < 1000) lines.push(line);
      },
    },
    logLevel: 'trace',
    outbound: false,
    metricInterval: 3_600_000,
    cardinalityLimit: 50,
  });
});

afterAll(async () => {
  await obs.shutdown({ timeoutMs: 1000 });
});

const RUNS = { numRuns: 150 };
const options = fc.oneof(
  hostile,
  fc.record({ unit: hostile, description: hostile, detect: hostile, buckets: hostile }),
);

/** An object whose own values can all be read (no throwing getter). */
function plain(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return true;
  try {
    Object.values(value);
    return true;
  } catch {
    return false;
  }
}

function neverThrows(fn: () => void): void {
  expect(fn).not.toThrow();
  expect(prototypesClean()).toBe(true);
}

describe('no input makes the API throw or pollute a prototype', () => {
  it('metric instruments: any name, options, value and attribute set', () => {
    fc.assert(
      fc.property(hostile, options, hostile, attributeSet, (name, opts, value, attributes) => {
        neverThrows(() => {
          const m = obs.metrics as unknown as Record<string, (...a: unknown[]) => any>;
          m.counter?.(name, opts).add(value, attributes);
          m.upDownCounter?.(name, opts).add(value, attributes);
          m.gauge?.(name, opts).record(value, attributes);
          const h = m.histogram?.(name, opts);
          h.record(value, attributes);
          h.startTimer(attributes)(attributes);
          m.observableGauge?.(name, opts, (r: { observe: (...a: unknown[]) => void }) =>
            r.observe(value, attributes),
          );
          m.observableGauge?.(name, opts, () => {
            throw new Error('callback that throws');
          });
        });
      }),
      RUNS,
    );
  });

  it('log calls: any object and message, at every level', () => {
    fc.assert(
      fc.property(hostile, hostile, hostile, (obj, msg, extra) => {
        neverThrows(() => {
          const log = obs.log as unknown as Record<string, (...a: unknown[]) => void>;
          for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'fatal']) {
            log[level]?.(obj, msg, extra);
            log[level]?.(msg);
          }
          obs.log.child({ request: obj }).info(obj as object, String(typeof msg));
        });
      }),
      RUNS,
    );
    expect(written).toBeGreaterThan(0);
  });

  // A line that is not JSON reaches the log collector as text: its level, time and trace ids lost.
  it('log calls: any message writes a line that is JSON', () => {
    fc.assert(
      fc.property(hostile, hostile, (msg, extra) => {
        lines.length = 0;
        obs.log.info(msg as string);
        obs.log.error(msg as object, 'failed');
        obs.log.warn({ plan: 'pro' }, msg as string, extra);
        for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
      }),
      RUNS,
    );
  });

  it('spans: any name, options and attributes', () => {
    fc.assert(
      fc.property(hostile, hostile, attributeSet, hostile, (name, opts, attributes, value) => {
        neverThrows(() => {
          const api = obs as unknown as { trace(...a: unknown[]): unknown };
          const trace = (...a: unknown[]) => api.trace(...a);
          trace(
            name,
            (span: { setAttribute(k: unknown, v: unknown): void; setAttributes(a: unknown): void }) => {
              span.setAttribute('user.value', value);
              // setAttributes is the OpenTelemetry SDK's own Span method; hand it plain attribute sets.
              if (plain(attributes)) span.setAttributes(attributes);
            },
          );
          trace(name, opts, () => undefined);
          trace(name, { attributes }, () => undefined);
          trace(name, opts);
          obs.activeSpan();
          obs.onAnomaly(value as never)();
        });
      }),
      RUNS,
    );
  });

  it('a span name that String() cannot convert still runs the function in a span', () => {
    const name = Object.create(null) as never;
    expect(obs.trace(name, () => 42)).toBe(42);
  });

  it('a return value whose `then` cannot be read, or throws, comes back as it is, and its span ends', () => {
    const unreadable = Object.defineProperty({}, 'then', {
      get() {
        throw new Error('then getter');
      },
    });
    const { proxy: revoked, revoke } = Proxy.revocable({}, {});
    revoke();
    const throwing = Object.defineProperty({}, 'then', {
      value: () => {
        throw new Error('then that throws');
      },
    });
    expect(obs.trace('odd-then.getter', () => unreadable)).toBe(unreadable);
    expect(obs.trace('odd-then.revoked', () => revoked)).toBe(revoked);
    expect(obs.trace('odd-then.throws', () => throwing)).toBe(throwing);
    const ended = memory.spans().filter((s) => s.name.startsWith('odd-then.'));
    expect(ended.map((s) => s.name).sort()).toEqual([
      'odd-then.getter',
      'odd-then.revoked',
      'odd-then.throws',
    ]);
  });

  it('attribute objects whose getters throw are repaired, for metrics and span options', () => {
    const attributes = Object.defineProperty({ plan: 'pro' }, 'explodes', {
      enumerable: true,
      get() {
        throw new Error('getter that throws');
      },
    });
    expect(() => obs.metrics.counter('orders.hostile').add(1, attributes)).not.toThrow();
    expect(() =>
      obs.metrics.histogram('latency.hostile').startTimer({ route: '/a' })(attributes),
    ).not.toThrow();
    expect(obs.trace('hostile-options', { attributes }, () => 7)).toBe(7);
  });

  // OpenTelemetry's SDK leaves out an attribute of no attribute type, and all the options when one
  // cannot be read, saying nothing.
  it('span options: an attribute that is none, or cannot be read, is dropped alone and counted', () => {
    const attributes = Object.defineProperty(
      { plan: 'pro', order: { id: 7 }, total: 10n, at: new Date(0) },
      'explodes',
      {
        enumerable: true,
        get() {
          throw new Error('getter that throws');
        },
      },
    );
    const before = obs.drops().invalid_attribute ?? 0;
    obs.trace(
      'span-options.repaired',
      { attributes: attributes as never, kind: SpanKind.SERVER },
      () => undefined,
    );
    const span = memory.spans().find((s) => s.name === 'span-options.repaired');
    expect(span?.kind).toBe(SpanKind.SERVER);
    expect(span?.attributes).toEqual({ plan: 'pro' });
    expect((obs.drops().invalid_attribute ?? 0) - before).toBe(4);
  });

  // Each element of a span's array attribute is of one type, as OpenTelemetry has them: the SDK
  // leaves out an array of mixed types, saying nothing. A metric's keeps it.
  it('span options: an array of mixed types is dropped alone and counted, one of one type kept', () => {
    const before = obs.drops().invalid_attribute ?? 0;
    const attributes = { mixed: ['a', 1], tags: ['a', null, 'b'], ids: [1, 2], flags: [true] };
    obs.trace('span-options.arrays', { attributes: attributes as never }, () => undefined);
    const span = memory.spans().find((s) => s.name === 'span-options.arrays');
    expect(span?.attributes).toEqual({ tags: ['a', null, 'b'], ids: [1, 2], flags: [true] });
    expect((obs.drops().invalid_attribute ?? 0) - before).toBe(1);
  });

  it('flush, stats and shutdown options: any value resolves', async () => {
    await fc.assert(
      fc.asyncProperty(hostile, async (opts) => {
        await expect(obs.forceFlush(opts as never)).resolves.toBeUndefined();
        expect(() => JSON.stringify(obs.stats())).not.toThrow();
        expect(() => obs.drops()).not.toThrow();
        expect(prototypesClean()).toBe(true);
      }),
      { numRuns: 30 },
    );
    expect(memory.spans().length).toBeGreaterThan(0);
  });
});
