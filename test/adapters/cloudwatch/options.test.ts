import { afterEach, describe, expect, it } from 'vitest';
import { sdkErrorStatus } from '../../../adapters/cloudwatch/aws-sdk.js';
import {
  BatchSpanError,
  countRejected,
  decodeLogEvents,
  encodeLogEvents,
  lineToLogEvent,
} from '../../../adapters/cloudwatch/encode-logs.js';
import { cloudwatch, type CloudWatchOptions } from '../../../adapters/cloudwatch/index.js';
import { resolveCloudWatchOptions } from '../../../adapters/cloudwatch/options.js';
import { getSightline } from '../../../src/index.js';
import { failsInProductionOnly } from '../harness.js';

describe('cloudwatch() options', () => {
  it.each<[string, CloudWatchOptions, string, string]>([
    ['an unknown mode', { mode: 'xml' as never }, 'SL_ERR_CONFIG_INVALID_VALUE', 'cloudwatch.mode'],
    [
      'a reserved namespace',
      { namespace: 'AWS/Lambda' },
      'SL_ERR_CONFIG_INVALID_VALUE',
      'cloudwatch.namespace',
    ],
    [
      'a namespace with spaces',
      { namespace: 'my shop' },
      'SL_ERR_CONFIG_INVALID_VALUE',
      'cloudwatch.namespace',
    ],
    [
      'api mode without a region',
      { mode: 'api', env: {} },
      'SL_ERR_CONFIG_INVALID_VALUE',
      'cloudwatch.region',
    ],
    ['a malformed region', { region: 'Europe' }, 'SL_ERR_CONFIG_INVALID_VALUE', 'cloudwatch.region'],
    // A variable's, as every adapter's variables: the value to fix is in the environment.
    ['a bad AWS_REGION', { env: { AWS_REGION: 'nowhere' } }, 'SL_ERR_CONFIG_INVALID_ENV', 'AWS_REGION'],
    [
      'a bad AWS_DEFAULT_REGION',
      { env: { AWS_DEFAULT_REGION: 'eu_west_1' } },
      'SL_ERR_CONFIG_INVALID_ENV',
      'AWS_DEFAULT_REGION',
    ],
    ['a bad log group', { logGroup: 'my group' }, 'SL_ERR_CONFIG_INVALID_VALUE', 'cloudwatch.logGroup'],
    [
      'a log stream with a colon',
      { logStream: 'a:b' },
      'SL_ERR_CONFIG_INVALID_VALUE',
      'cloudwatch.logStream',
    ],
    [
      'a non-ASCII dimension',
      { dimensions: { Team: 'Zürich' } },
      'SL_ERR_CONFIG_INVALID_VALUE',
      'cloudwatch.dimensions.Team',
    ],
    [
      'a non-ASCII dimension name',
      { dimensions: { Región: 'eu' } },
      'SL_ERR_CONFIG_INVALID_VALUE',
      'cloudwatch.dimensions.Región',
    ],
    [
      'a blank dimension name',
      { dimensions: { '  ': 'eu' } },
      'SL_ERR_CONFIG_INVALID_VALUE',
      'cloudwatch.dimensions.  ',
    ],
    [
      'storageResolution 5',
      { storageResolution: 5 as never },
      'SL_ERR_CONFIG_INVALID_VALUE',
      'cloudwatch.storageResolution',
    ],
    [
      'an unknown option',
      { namepsace: 'x' } as never,
      'SL_ERR_CONFIG_UNKNOWN_OPTION',
      'cloudwatch.namepsace',
    ],
    [
      'an unknown endpoint',
      { endpoints: { event: 'http://127.0.0.1' } as never },
      'SL_ERR_CONFIG_UNKNOWN_OPTION',
      'cloudwatch.endpoints.event',
    ],
    [
      'SDK endpoint over plain HTTP to a remote host',
      { endpoints: { metrics: 'http://monitoring.example.com' } },
      'SL_ERR_CONFIG_INSECURE_ENDPOINT',
      'cloudwatch.endpoints.metrics',
    ],
    ['traces: "yes"', { traces: 'yes' as never }, 'SL_ERR_CONFIG_INVALID_TYPE', 'cloudwatch.traces'],
    ['channel: []', { channel: [] as never }, 'SL_ERR_CONFIG_INVALID_TYPE', 'cloudwatch.channel'],
  ])('rejects %s', (_what, options, code, option) => {
    expect(() => cloudwatch(options)).toThrowError(expect.objectContaining({ code, option }));
  });

  it('fails on OTLP endpoint variables meant for gRPC, since spans go by OTLP/HTTP', () => {
    const grpc = {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4317',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
    };
    expect(() => resolveCloudWatchOptions({ traces: true, env: grpc })).toThrowError(
      expect.objectContaining({ code: 'SL_ERR_CONFIG_INVALID_ENV', option: 'OTEL_EXPORTER_OTLP_PROTOCOL' }),
    );
    const tracesHttp = { ...grpc, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' };
    expect(resolveCloudWatchOptions({ traces: true, env: tracesHttp }).endpoints.traces.href).toBe(
      'http://collector:4317/v1/traces',
    );
    const given = { traces: true, endpoints: { traces: 'http://127.0.0.1:4318/v1/traces' }, env: grpc };
    expect(resolveCloudWatchOptions(given).endpoints.traces.port).toBe('4318');
  });

  it.each([
    ['OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', '10s'],
    ['OTEL_EXPORTER_OTLP_COMPRESSION', 'zstd'],
  ])(
    'fails on %s=%s beside the endpoint variables, naming it, and reads it only with traces',
    (name, value) => {
      const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', [name]: value };
      expect(() => resolveCloudWatchOptions({ traces: true, env })).toThrowError(
        expect.objectContaining({ code: 'SL_ERR_CONFIG_INVALID_ENV', option: name }),
      );
      expect(resolveCloudWatchOptions({ env }).traces).toBe(false);
    },
  );

  it.each(['AWS_REGION', 'AWS_DEFAULT_REGION'])(
    'fails on %s in quotes (an env file kept them), naming it without its value, as for every variable',
    (name) => {
      let error: unknown;
      try {
        cloudwatch({ env: { [name]: '"eu-west-1"' } });
      } catch (e) {
        error = e;
      }
      expect(error).toMatchObject({ code: 'SL_ERR_CONFIG_INVALID_ENV', option: name });
      expect((error as Error).message).not.toContain('eu-west-1');
    },
  );

  it('reads AWS_REGION, then AWS_DEFAULT_REGION', () => {
    expect(
      resolveCloudWatchOptions({ env: { AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'us-east-1' } }).region,
    ).toBe('eu-west-1');
    expect(resolveCloudWatchOptions({ env: { AWS_DEFAULT_REGION: 'us-east-1' } }).region).toBe('us-east-1');
    expect(
      resolveCloudWatchOptions({ region: 'ap-southeast-2', env: { AWS_REGION: 'eu-west-1' } }).region,
    ).toBe('ap-southeast-2');
  });

  it('defaults to emf, X-Ray ids only with traces, and the collector URL for traces', () => {
    const o = resolveCloudWatchOptions({ env: {} });
    expect(o).toMatchObject({ mode: 'emf', traces: false, xrayIds: false, xrayTraceIdKey: 'xray_trace_id' });
    expect(o.endpoints.traces.href).toBe('http://127.0.0.1:4318/v1/traces');
    expect(resolveCloudWatchOptions({ traces: true, env: {} }).xrayIds).toBe(true);
    // A collector variable meant for another exporter fails nothing while traces are off.
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4317' };
    expect(resolveCloudWatchOptions({ env }).endpoints.traces.href).toBe('http://127.0.0.1:4318/v1/traces');
  });
});

describe('PutLogEvents encoding', () => {
  it('sorts events and makes the body exactly the PutLogEvents size (message bytes + 26 per event)', () => {
    const events = [
      { timestamp: 3000, message: 'c é' },
      { timestamp: 1000, message: 'a' },
      { timestamp: 2000, message: 'b' },
    ];
    const { body } = encodeLogEvents(events);
    const bytes = Buffer.from(body as string);
    expect(bytes.byteLength).toBe(events.reduce((n, e) => n + Buffer.byteLength(e.message) + 26, 0));
    expect(decodeLogEvents(bytes)).toEqual([events[1], events[2], events[0]]);
  });

  it('refuses a batch spanning more than 24 hours, so the core halves it', () => {
    expect(() =>
      encodeLogEvents([
        { timestamp: 0, message: 'a' },
        { timestamp: 24 * 3600 * 1000 + 1, message: 'b' },
      ]),
    ).toThrow(BatchSpanError);
  });

  it('keeps a message with a line break as one event', () => {
    const { body } = encodeLogEvents([{ timestamp: 1, message: 'two\nlines' }]);
    expect(decodeLogEvents(Buffer.from(body as string))).toEqual([{ timestamp: 1, message: 'two\\nlines' }]);
  });

  it('takes the timestamp from the line, epoch or ISO', () => {
    const epoch = { messageKey: 'msg', levelKey: 'level', timeKey: 'time', timeFormat: 'epoch' } as const;
    const iso = {
      messageKey: 'message',
      levelKey: 'log.level',
      timeKey: '@timestamp',
      timeFormat: 'iso',
    } as const;
    expect(lineToLogEvent('{"level":"info","time":1700000000123,"msg":"x"}', epoch).timestamp).toBe(
      1_700_000_000_123,
    );
    expect(lineToLogEvent('{"@timestamp":"2023-11-14T22:13:20.123Z","message":"x"}', iso).timestamp).toBe(
      1_700_000_000_123,
    );
    expect(lineToLogEvent('{"msg":"no time"}', epoch, () => 42).timestamp).toBe(42);
  });

  it('counts rejected events from rejectedLogEventsInfo (end indices exclusive, start inclusive)', () => {
    expect(countRejected(undefined, 10)).toBe(0);
    expect(countRejected({ tooOldLogEventEndIndex: 2 }, 10)).toBe(2);
    expect(countRejected({ expiredLogEventEndIndex: 3, tooOldLogEventEndIndex: 1 }, 10)).toBe(3);
    expect(countRejected({ tooNewLogEventStartIndex: 8 }, 10)).toBe(2);
    expect(countRejected({ tooOldLogEventEndIndex: 9, tooNewLogEventStartIndex: 0 }, 10)).toBe(10);
  });
});

describe('SDK errors as statuses', () => {
  it.each([
    [{ name: 'Throttling', $metadata: { httpStatusCode: 400 } }, 429],
    [{ name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }, 429],
    [{ name: 'Whatever', $retryable: { throttling: true }, $metadata: { httpStatusCode: 400 } }, 429],
    [{ name: 'ServiceUnavailableException', $fault: 'server', $metadata: { httpStatusCode: 500 } }, 500],
    [{ name: 'InternalServiceFault', $fault: 'server', $metadata: { httpStatusCode: 400 } }, 503],
    [{ name: 'InvalidParameterValueException', $fault: 'client', $metadata: { httpStatusCode: 400 } }, 400],
    [{ name: 'UnrecognizedClientException', $fault: 'client', $metadata: { httpStatusCode: 403 } }, 403],
    [{ name: 'TypeError', $metadata: { httpStatusCode: 200 } }, 502],
    [Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), undefined],
  ])('maps %j to %s', (error, status) => {
    expect(sdkErrorStatus(error)).toBe(status);
  });
});

describe('cloudwatch() traces headers the environment leaves without a credential', () => {
  afterEach(async () => {
    await getSightline()?.shutdown({ timeoutMs: 2000 });
  });

  it('fail init() only in an environment whose exporters include the adapter, as otlp() does, instead of at cloudwatch()', async () => {
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector.example.com:4318',
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20',
    };
    const error = await failsInProductionOnly(() => cloudwatch({ traces: true, env }));
    expect(error.code).toBe('SL_ERR_CONFIG_INVALID_ENV');
    expect(error.option).toBe('OTEL_EXPORTER_OTLP_HEADERS');
  });
});
