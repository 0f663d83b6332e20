/**
 * An attribute of no attribute value is counted as `invalid_attribute` whether it was given in
 * `obs.trace`'s options or to the span's methods, on a span the sampler kept or left out alike.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { getSightline, init } from '../../../src/index.js';
import { memoryExporter } from '../../../src/testing/index.js';

afterEach(async () => {
  await getSightline()?.shutdown({ timeoutMs: 1000 });
});

const bad = {} as never;
const context = { traceId: '1'.repeat(32), spanId: '2'.repeat(16), traceFlags: 1 };

describe('invalid attributes on a span the sampler left out', () => {
  it.each([0, 1])('at sampling %d, are counted as the options count them', (sampling) => {
    // Prepare
    const obs = init({
      service: 'checkout',
      exporters: [memoryExporter()],
      logStream: { write() {} },
      anomaly: false,
      outbound: false,
      sampling,
    });
    const invalid = () => obs.drops().invalid_attribute ?? 0;

    // Act: one in the options; one given to each method that takes attributes.
    obs.trace('options', { attributes: { bad } }, () => undefined);
    const ofOptions = invalid();
    obs.trace('methods', (span) => {
      span.setAttribute('bad', bad);
      span.setAttribute('unset', undefined as never);
      span.setAttributes({ bad, fine: 1 });
      span.addEvent('event', { bad });
      span.addLink({ context, attributes: { bad } });
      span.addLinks([{ context, attributes: { bad } }]);
    });

    // Assert
    expect({ ofOptions, ofMethods: invalid() - ofOptions }).toEqual({ ofOptions: 1, ofMethods: 5 });
  });
});
