import { describe, expect, it } from 'vitest';
import { cloudwatch } from '../../../adapters/cloudwatch/index.js';
import { datadog } from '../../../adapters/datadog/index.js';
import { elastic } from '../../../adapters/elastic/index.js';
import { newrelic } from '../../../adapters/newrelic/index.js';
import { otlp } from '../../../adapters/otlp/index.js';
import { memoryExporter } from '../../../src/testing/index.js';
import { configError } from '../../adapters/harness.js';

const SECRET = 'sk-live-9f8e7d6c5b4a3f2e1d0c';
type Make = (options: Record<string, unknown>) => unknown;
const factories: Record<string, Make> = {
  otlp: (o) => otlp({ env: {}, ...o }),
  datadog: (o) => datadog({ apiKey: 'k'.repeat(32), processEnv: {}, ...o }),
  newrelic: (o) => newrelic({ licenseKey: 'k'.repeat(40), env: {}, ...o }),
  cloudwatch: (o) => cloudwatch({ env: {}, ...o }),
  elastic: (o) => elastic({ node: 'https://es.example', apiKey: 'k', env: {}, ...o }),
  memoryExporter: (o) => memoryExporter(o),
};

// [adapter, option, a value of the wrong type, a value of the right type the option does not take]
const cases: [string, string, unknown, unknown][] = [
  ['otlp', 'timeoutMs', '5', 0],
  ['otlp', 'metricIntervalMs', '1000', 0.5],
  ['otlp', 'protocol', 4318, 'grpc'],
  ['otlp', 'compression', true, 'zstd'],
  ['otlp', 'temporality', 1, 'sometimes'],
  ['otlp', 'name', 7, 'two words'],
  ['datadog', 'site', 5, 'nowhere.example'],
  ['datadog', 'traces', true, 'zipkin'],
  ['datadog', 'logs', 1, 'syslog'],
  ['datadog', 'metrics', false, 'statsd'],
  ['datadog', 'metricIntervalMs', '1000', -1],
  ['datadog', 'hostname', 7, 'h'.repeat(300)],
  ['datadog', 'service', 7, ' '],
  ['newrelic', 'region', 1, 'APAC'],
  ['newrelic', 'logs', true, 'syslog'],
  ['newrelic', 'eventType', 5, 'bad type!'],
  ['newrelic', 'otlpProtocol', 1, 'grpc'],
  ['newrelic', 'metricIntervalMs', '1000', 0],
  ['newrelic', 'accountId', true, 'abc'],
  ['cloudwatch', 'mode', 1, 'xray'],
  ['cloudwatch', 'namespace', 5, 'AWS/Mine'],
  ['cloudwatch', 'maxHistogramValues', 'x', 0],
  ['cloudwatch', 'storageResolution', '60', 30],
  ['cloudwatch', 'metricIntervalMs', '1000', 0],
  ['cloudwatch', 'xrayTraceIdKey', 5, ''],
  ['elastic', 'dataset', 5, 'Bad Dataset'],
  ['elastic', 'namespace', 5, 'Bad-Namespace'],
  ['elastic', 'logs', true, 'syslog'],
  ['elastic', 'temporality', 1, 'sometimes'],
  ['elastic', 'metricIntervalMs', '1000', 0],
  ['elastic', 'hostname', 5, ''],
  // NaN kept every item, without bound; a string was compared as a number.
  ['memoryExporter', 'limit', '100', Number.NaN],
  // The fields of an object option.
  ['newrelic', 'limits', { maxItems: '10' }, { maxItems: 0 }],
  ['elastic', 'limits', { maxBytes: '10' }, { maxBytes: 0 }],
];

describe("adapter factories' error codes", () => {
  it.each(cases)(
    '%s({ %s }): the wrong type is INVALID_TYPE, a value not taken INVALID_VALUE',
    (name, option, wrongType, notTaken) => {
      const make = factories[name]!;
      expect(configError(() => make({ [option]: wrongType }))).toMatchObject({
        code: 'SL_ERR_CONFIG_INVALID_TYPE',
      });
      expect(configError(() => make({ [option]: notTaken }))).toMatchObject({
        code: 'SL_ERR_CONFIG_INVALID_VALUE',
      });
    },
  );

  it('memoryExporter(): an option it does not know fails, as in the other adapters, naming the ones it knows', () => {
    // A misspelt limit was ignored: the test kept the default 10,000 items, not the limit it set.
    expect(configError(() => memoryExporter({ limt: 10 } as never))).toMatchObject({
      code: 'SL_ERR_CONFIG_UNKNOWN_OPTION',
      option: 'memoryExporter.limt',
      message: expect.stringContaining('limit'),
    });
    expect(() => memoryExporter({ limit: 1 })).not.toThrow();
    expect(() => memoryExporter({ limit: undefined })).not.toThrow();
  });

  it.each([
    ['datadog', 'apiKey'],
    ['newrelic', 'licenseKey'],
    ['elastic', 'apiKey'],
    ['elastic', 'password'],
  ])('%s({ %s }) of the wrong type is INVALID_TYPE and never echoes the key', (name, option) => {
    // elastic()'s apiKey takes { id, apiKey } too: an object is of its type.
    const objects = name === 'elastic' && option === 'apiKey' ? [] : [{ key: SECRET }, new String(SECRET)];
    for (const value of [[SECRET], 12345, ...objects]) {
      const error = configError(() =>
        factories[name]!({
          [option]: value,
          ...(option === 'password' ? { apiKey: undefined, username: 'u' } : {}),
        }),
      );
      expect(error).toMatchObject({ code: 'SL_ERR_CONFIG_INVALID_TYPE' });
      expect(`${error.message} ${JSON.stringify(error)}`).not.toContain(SECRET);
    }
  });
});
