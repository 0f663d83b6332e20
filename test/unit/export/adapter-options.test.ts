import { describe, expect, it } from 'vitest';
import { cloudwatch } from '../../../adapters/cloudwatch/index.js';
import { datadog } from '../../../adapters/datadog/index.js';
import { elastic } from '../../../adapters/elastic/index.js';
import { newrelic } from '../../../adapters/newrelic/index.js';
import { otlp } from '../../../adapters/otlp/index.js';
import { init, type SightlineAdapter } from '../../../src/index.js';
import { configError } from '../../adapters/harness.js';

// What sightline's own code gives a channel, by the names the channel takes them under.
const hooks: Record<string, unknown> = { diag: { warn() {} }, random: () => 0, now: () => 0 };

// Each adapter with a channel option, and the name its errors give that option.
const adapters: [string, (channel: object) => unknown, string][] = [
  ['datadog', (channel) => datadog({ apiKey: 'k', processEnv: {}, channel }), 'channel'],
  ['newrelic', (channel) => newrelic({ licenseKey: 'k', env: {}, channel }), 'newrelic.channel'],
  ['cloudwatch', (channel) => cloudwatch({ channel }), 'cloudwatch.channel'],
  [
    'elastic',
    (channel) => elastic({ node: 'https://es.example', apiKey: 'k', env: {}, channel }),
    'elastic.channel',
  ],
  ['otlp', (channel) => otlp({ env: {}, channel }), 'channel'],
];

describe('the channel option of every adapter', () => {
  it.each(adapters)(
    '%s: a misspelt key fails with its name instead of leaving the default',
    (_, make, prefix) => {
      const misspelt = configError(() => make({ flushInterval: 1000 }));
      expect(misspelt).toMatchObject({
        code: 'SL_ERR_CONFIG_UNKNOWN_OPTION',
        option: `${prefix}.flushInterval`,
      });
      expect(misspelt.message).toContain('flushIntervalMs');
      const retry = configError(() => make({ retry: { maxElapsed: 10_000 } }));
      expect(retry).toMatchObject({
        code: 'SL_ERR_CONFIG_UNKNOWN_OPTION',
        option: `${prefix}.retry.maxElapsed`,
      });
      expect(() => make({ flushIntervalMs: 1000, retry: { maxElapsedMs: 10_000 } })).not.toThrow();
    },
  );

  // Given by a user they would take sightline's own diagnostics away, or change its retry jitter
  // and the clock of its retry budgets and deadlines.
  it.each(adapters)(
    '%s: the diagnostics, random source and clock sightline gives a channel fail as unknown keys',
    (_, make, prefix) => {
      for (const [key, value] of Object.entries(hooks)) {
        const error = configError(() =>
          init({
            exporters: [make({ [key]: value }) as SightlineAdapter],
            logStream: { write() {} },
            anomaly: false,
          }),
        );
        expect(error).toMatchObject({ code: 'SL_ERR_CONFIG_UNKNOWN_OPTION', option: `${prefix}.${key}` });
        expect(error.message.split('; use ')[1]).not.toMatch(/\b(diag|random|now)\b/);
      }
    },
  );
});
