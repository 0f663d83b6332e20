import type { Attributes, Span } from '@opentelemetry/api';
import type { Logger } from 'pino';
import {
  type AnomalyEvent,
  type Counter,
  ErrorCodes,
  type ErrorCode,
  getSightline,
  init,
  metrics,
  type Sightline,
  type SightlineConfig,
  type SightlineConfigError,
  type SightlineError,
} from 'sightline';
import type { AnomalyKind } from 'sightline/anomaly';
import { type MemoryExporter, memoryExporter } from 'sightline/testing';
import { describe, expectTypeOf, it } from 'vitest';

// Checked by `vitest --typecheck` against the BUILT declarations: these files import the package by
// its own name, so they resolve through the exports map to dist/*.d.ts like a user's code does.

describe('init()', () => {
  it('returns a Sightline, and getSightline() may be undefined', () => {
    expectTypeOf(init).returns.toEqualTypeOf<Sightline>();
    expectTypeOf(init).parameter(0).toEqualTypeOf<SightlineConfig | undefined>();
    expectTypeOf(getSightline).returns.toEqualTypeOf<Sightline | undefined>();
  });

  it('accepts no argument and rejects unknown options', () => {
    expectTypeOf(init).toBeCallableWith();
    expectTypeOf(init).toBeCallableWith({ service: 'checkout', environment: 'prod' });
    // @ts-expect-error `servce` is not an option
    init({ servce: 'checkout' });
  });
});

describe('metrics', () => {
  it('counter(...).add takes a number and optional attributes, and returns nothing', () => {
    const obs = {} as Sightline;
    const counter = obs.metrics.counter('orders.placed', { unit: '{order}' });
    expectTypeOf(counter).toEqualTypeOf<Counter>();
    expectTypeOf(counter.add).toEqualTypeOf<(value: number, attributes?: Attributes) => void>();
    expectTypeOf(counter.add).toBeCallableWith(1);
    expectTypeOf(counter.add).toBeCallableWith(1, { route: '/orders' });
    // @ts-expect-error the value is a number
    counter.add('1');
  });

  it('the module-level proxy has the same counter type', () => {
    expectTypeOf(metrics.counter('orders.placed')).toEqualTypeOf<Counter>();
  });
});

describe('obs.trace', () => {
  const obs = {} as Sightline;

  it('returns what the callback returns, synchronously', () => {
    expectTypeOf(obs.trace('sync', () => 42)).toEqualTypeOf<number>();
    expectTypeOf(obs.trace('sync', { attributes: { a: 1 } }, () => 'x')).toEqualTypeOf<string>();
  });

  it('returns the promise an async callback returns', () => {
    expectTypeOf(obs.trace('async', async () => ({ id: 'o-1' }))).toEqualTypeOf<Promise<{ id: string }>>();
  });

  it('returns a promise of what a thenable the callback returns settles to, not the thenable', () => {
    // A query builder (knex, mongoose): obs.trace awaits it through its then, so its own methods are gone.
    const query = {} as PromiseLike<{ id: string }[]> & { where(column: string): typeof query };
    expectTypeOf(obs.trace('query', () => query)).toEqualTypeOf<Promise<{ id: string }[]>>();
    expectTypeOf(obs.trace('query', {}, () => query)).toEqualTypeOf<Promise<{ id: string }[]>>();
  });

  it('hands the span to the callback', () => {
    obs.trace('span', (span) => {
      expectTypeOf(span).toEqualTypeOf<Span>();
    });
  });

  it('rejects a call with no function, and an onAnomaly listener that is none, at compile time', () => {
    // @ts-expect-error no function to run
    obs.trace('no-fn');
    // @ts-expect-error a string is no function
    obs.trace('a-string', 'not a function');
    // @ts-expect-error options alone, no function
    obs.trace('options-only', { attributes: { a: 1 } });
    // @ts-expect-error a string is no listener
    obs.onAnomaly('x');
  });

  it('exposes a pino logger', () => {
    expectTypeOf(obs.log).toEqualTypeOf<Logger>();
  });
});

describe('sightline/testing', () => {
  it('memoryExporter() returns a MemoryExporter that hands back what was recorded', () => {
    expectTypeOf(memoryExporter).returns.toEqualTypeOf<MemoryExporter>();
    expectTypeOf(memoryExporter).toBeCallableWith({ limit: 100 });
    const memory = memoryExporter();
    expectTypeOf(memory.logs).returns.toEqualTypeOf<Record<string, unknown>[]>();
    expectTypeOf(init).toBeCallableWith({ exporters: [memory] });
  });
});

describe('anomaly events', () => {
  it('type kind as the documented kinds, so a switch over them is checked for exhaustiveness', () => {
    expectTypeOf<AnomalyEvent['kind']>().toEqualTypeOf<
      'spike' | 'dip' | 'level_shift' | 'drift' | 'variance' | 'flatline' | 'seasonality_break'
    >();
    expectTypeOf<AnomalyEvent['kind']>().toEqualTypeOf<AnomalyKind>();
    const label = (event: AnomalyEvent): string => {
      switch (event.kind) {
        case 'spike':
        case 'dip':
          return 'excursion';
        case 'level_shift':
        case 'drift':
          return 'moved';
        case 'variance':
        case 'flatline':
        case 'seasonality_break':
          return 'shape';
        default: {
          const unknown: never = event.kind;
          return unknown;
        }
      }
    };
    expectTypeOf(label).returns.toEqualTypeOf<string>();
  });
});

describe('errors', () => {
  it('SightlineConfigError is a SightlineError with a code and the option at fault', () => {
    expectTypeOf<SightlineConfigError>().toExtend<SightlineError>();
    expectTypeOf<SightlineConfigError['code']>().toEqualTypeOf<ErrorCode>();
    expectTypeOf<SightlineConfigError['option']>().toEqualTypeOf<string>();
    expectTypeOf(ErrorCodes.CONFIG_INVALID_VALUE).toEqualTypeOf<'SL_ERR_CONFIG_INVALID_VALUE'>();
  });
});
