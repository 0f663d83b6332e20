import { cloudwatch } from '../../../adapters/cloudwatch/index.js';
import type { CloudWatchOptions } from '../../../adapters/cloudwatch/index.js';
import { init } from '../../../src/index.js';
import type { AnomalyEvent } from '../../../src/anomaly/event.js';

/** Made-up AWS credentials; tests search every output for the secret parts. */
export const CREDENTIALS = {
  accessKeyId: 'AKIDFAKEFORTESTS0001',
  secretAccessKey: 'fake/Secret+Key/ThatMustNeverBePrinted0001',
  sessionToken: 'FakeSessionTokenThatMustNeverBePrinted0001',
};
export const FAST_RETRY = { initialDelayMs: 10, maxDelayMs: 40, maxElapsedMs: 5000 };

/** Starts sightline with the CloudWatch adapter in api mode against `url`, capturing the log lines. */
export function startApi(url: string, options: CloudWatchOptions = {}, extra: Record<string, unknown> = {}) {
  const logLines: string[] = [];
  const obs = init({
    service: 'checkout',
    environment: 'prod',
    exporters: [
      cloudwatch({
        mode: 'api',
        region: 'eu-west-1',
        endpoints: { metrics: url, logs: url },
        credentials: CREDENTIALS,
        logGroup: '/shop/checkout',
        logStream: 'web-1',
        channel: { retry: FAST_RETRY, flushIntervalMs: 50 },
        ...options,
      }),
    ],
    logStream: { write: (l: string) => logLines.push(l) },
    ...extra,
  });
  return { obs, logLines };
}

/** Starts sightline with the CloudWatch adapter in emf mode, capturing its stdout lines and the log lines. */
export function startEmf(options: CloudWatchOptions = {}, extra: Record<string, unknown> = {}) {
  const written: string[] = [];
  const logLines: string[] = [];
  const obs = init({
    service: 'checkout',
    environment: 'prod',
    version: '1.4.0',
    exporters: [cloudwatch({ write: (l) => written.push(l), ...options })],
    logStream: { write: (l: string) => logLines.push(l) },
    ...extra,
  });
  /** The documents written so far, parsed, leaving out sightline's own `sightline.*` metrics. */
  const documents = () =>
    written
      .map((l) => JSON.parse(l) as Record<string, any>)
      .filter((d) => d._aws !== undefined)
      .map((d) => stripOwn(d))
      .filter((d): d is Record<string, any> => d !== undefined);
  return { obs, written, logLines, documents };
}

function stripOwn(doc: Record<string, any>): Record<string, any> | undefined {
  const directive = doc._aws?.CloudWatchMetrics?.[0];
  if (!directive) return doc;
  const own = directive.Metrics.filter((m: any) => m.Name.startsWith('sightline.'));
  if (own.length === 0) return doc;
  if (own.length === directive.Metrics.length) return undefined;
  // sightline's own metrics share documents with user metrics of the same dimensions: leave them out.
  const copy: Record<string, any> = { ...doc };
  for (const m of own) delete copy[m.Name];
  copy._aws = {
    ...doc._aws,
    CloudWatchMetrics: [{ ...directive, Metrics: directive.Metrics.filter((m: any) => !own.includes(m)) }],
  };
  return copy;
}

export function anomalyEvent(overrides: Partial<AnomalyEvent> = {}): AnomalyEvent {
  return {
    metric: 'orders.placed',
    attributes: { region: 'eu' },
    time: 1_700_000_000_000,
    observed: 3,
    expected: 40,
    band: { lower: 30, upper: 50 },
    score: 0.97,
    severity: 88,
    kind: 'dip',
    explanation: 'orders.placed{region=eu} dropped to 3 against an expected 30..50',
    service: 'checkout',
    environment: 'prod',
    ...overrides,
  };
}
