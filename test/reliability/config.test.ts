/**
 * Any configuration either works or fails `init()` with a coded `SightlineConfigError`: never a
 * TypeError from deep inside, never a half-started instance.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { getSightline, init, SightlineConfigError } from '../../src/index.js';
import { hostile } from './hostile-values.js';

const OPTIONS = [
  'service',
  'environment',
  'version',
  'resource',
  'exporters',
  'profiles',
  'logLevel',
  'redact',
  'sampling',
  'metricInterval',
  'cardinalityLimit',
  'maxAttributeLength',
  'handleSignals',
  'diagnostics',
  'outbound',
  'anomaly',
  'shutdownTimeout',
] as const;

const plausible: Record<string, fc.Arbitrary<unknown>> = {
  logLevel: fc.constantFrom('info', 'debug', 'silent', 'loud'),
  sampling: fc.double({ min: -1, max: 2 }),
  metricInterval: fc.integer({ min: -10, max: 100_000 }),
  diagnostics: fc.constantFrom('none', 'warn', 'chatty'),
  anomaly: fc.oneof(
    fc.constant(false),
    fc.record({ sensitivity: hostile, maxSeries: hostile, warmup: hostile }),
  ),
  exporters: fc.oneof(fc.constant([]), fc.array(hostile, { maxLength: 2 })),
  profiles: fc.dictionary(
    fc.constantFrom('default', 'development', '__proto__'),
    fc.dictionary(fc.constantFrom(...OPTIONS), hostile),
  ),
};
const value = (key: string) => fc.oneof(hostile, plausible[key] ?? hostile);
const config = fc.oneof(
  hostile,
  fc.record(Object.fromEntries(OPTIONS.map((k) => [k, value(k)])), { requiredKeys: [] }),
  fc.dictionary(fc.string(), hostile),
);

describe('init() with any configuration', () => {
  it('a configuration object whose getter throws fails with a coded error', () => {
    const config = Object.defineProperty({ service: 'x' }, 'resource', {
      enumerable: true,
      get() {
        throw new Error('getter that throws');
      },
    });
    expect(() => init(config)).toThrowError(SightlineConfigError);
  });

  it('starts, or throws a SightlineConfigError with an SL_ERR_ code', async () => {
    await fc.assert(
      fc.asyncProperty(config, async (input) => {
        let error: unknown;
        try {
          if (input !== null && typeof input === 'object' && Object.isExtensible(input))
            Object.defineProperty(input, 'logStream', { value: { write() {} }, enumerable: true });
          const obs = init(input as never);
          obs.log.info('started');
          await obs.shutdown({ timeoutMs: 200 });
        } catch (e) {
          error = e;
        }
        expect(getSightline()).toBeUndefined();
        if (error !== undefined) {
          expect(error).toBeInstanceOf(SightlineConfigError);
          expect((error as SightlineConfigError).code).toMatch(/^SL_ERR_[A-Z_]+$/);
        }
      }),
      { numRuns: 150 },
    );
  }, 60_000);
});
