import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  canonical,
  decodeProtobuf,
  LOGS_REQUEST,
  METRICS_REQUEST,
  TRACES_REQUEST,
} from './protobuf-decode.js';
import { type OtlpCollector, type OtlpRequest, startCollector } from './intake-server.js';
import { ANOMALY, expectGolden, normalize, recordScenario, startWithOtlp, stopSightline } from './helpers.js';

type Body = Record<string, unknown[]>;

/** Every request of one signal merged into one request body, in arrival order. */
function merged(requests: OtlpRequest[], key: string, decode: (r: OtlpRequest) => Body): Body {
  return { [key]: requests.flatMap((r) => decode(r)[key] ?? []) };
}

/** The user's telemetry only: sightline's own `sightline.export.*` metrics change with timing. */
function withoutSightlineScope(body: Body): Body {
  const resourceMetrics = (body.resourceMetrics as { scopeMetrics: { scope: { name: string } }[] }[]).map(
    (rm) => ({ ...rm, scopeMetrics: rm.scopeMetrics.filter((s) => s.scope.name !== 'sightline') }),
  );
  return { resourceMetrics: resourceMetrics.filter((rm) => rm.scopeMetrics.length > 0) };
}

/** Log records with and without an event name, split into two bodies. */
function splitEvents(body: Body): { logs: Body; events: Body } {
  const pick = (events: boolean): Body => ({
    resourceLogs: (body.resourceLogs as { scopeLogs: { logRecords: { eventName?: string }[] }[] }[]).flatMap(
      (rl) => {
        const scopeLogs = rl.scopeLogs
          .map((sl) => ({
            ...sl,
            logRecords: sl.logRecords.filter((r) => (r.eventName !== undefined) === events),
          }))
          .filter((sl) => sl.logRecords.length > 0);
        return scopeLogs.length > 0 ? [{ ...rl, scopeLogs }] : [];
      },
    ),
  });
  return { logs: pick(false), events: pick(true) };
}

/** Runs the scenario and returns the normalised bodies per signal, decoded either way. */
async function capture(collector: OtlpCollector, protocol: 'http/json' | 'http/protobuf') {
  const { obs } = startWithOtlp(collector, { protocol });
  recordScenario(obs);
  await obs.forceFlush();
  // Read before shutdown: the final collection at shutdown would add a second copy of every series.
  const requests = [...collector.requests];
  await stopSightline();
  const accepted = (signal: OtlpRequest['signal']) =>
    requests.filter((r) => r.signal === signal && r.status === 200);
  const decode = (schema: typeof TRACES_REQUEST) => (r: OtlpRequest) =>
    (protocol === 'http/json' ? r.json : decodeProtobuf(r.body, schema)) as Body;
  const traces = merged(accepted('traces'), 'resourceSpans', decode(TRACES_REQUEST));
  const metrics = withoutSightlineScope(
    merged(accepted('metrics'), 'resourceMetrics', decode(METRICS_REQUEST)),
  );
  const { logs, events } = splitEvents(merged(accepted('logs'), 'resourceLogs', decode(LOGS_REQUEST)));
  const keep = new Set([`${ANOMALY.time}000000`]);
  const ids = new Map<string, string>();
  return {
    traces: normalize(traces, undefined, ids),
    metrics: normalize(metrics, undefined, ids),
    logs: normalize(logs, undefined, ids),
    events: normalize(events, keep, ids),
  };
}

describe('otlp golden request bodies', () => {
  let collector: OtlpCollector;
  beforeEach(async () => {
    collector = await startCollector();
  });
  afterEach(async () => {
    await stopSightline();
    await collector.close();
  });

  it('sends http/json bodies equal to the golden files, with the JSON content type', async () => {
    const bodies = await capture(collector, 'http/json');
    for (const r of collector.requests) expect(r.headers['content-type']).toBe('application/json');
    for (const [name, body] of Object.entries(bodies)) expectGolden(name, body);
  });

  it('sends http/protobuf bodies that decode to the same content as the golden files', async () => {
    const bodies = await capture(collector, 'http/protobuf');
    expect(collector.requests.length).toBeGreaterThan(0);
    for (const r of collector.requests) expect(r.headers['content-type']).toBe('application/x-protobuf');
    for (const [name, body] of Object.entries(bodies)) {
      const file = new URL(`../../fixtures/golden/otlp/${name}.json`, import.meta.url);
      const golden = JSON.parse(readFileSync(file, 'utf8'));
      expect(canonical(body), name).toEqual(canonical(golden));
    }
  });
});
