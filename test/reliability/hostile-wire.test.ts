/**
 * Hostile values through the public API, exported by each adapter to a loopback intake that reads
 * what it gets as the real one would: no call throws or holds the event loop, nothing the backend
 * would refuse reaches it, and what the API took is sent or counted as dropped.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Sightline } from '../../src/api/types.js';
import { getSightline } from '../../src/index.js';
import { emfViolations } from '../adapters/cloudwatch/emf-validate.js';
import { startApi, startEmf } from '../adapters/cloudwatch/helpers.js';
import { startAwsIntake } from '../adapters/cloudwatch/intake-server.js';
import { KEY, start as startDatadog } from '../adapters/datadog/helpers.js';
import { IntakeServer } from '../adapters/datadog/intake-server.js';
import { AUTH, startWithElastic } from '../adapters/elastic/helpers.js';
import { EsIntake } from '../adapters/elastic/intake-server.js';
import { LICENSE_KEY, startWithNewRelic } from '../adapters/newrelic/helpers.js';
import { startNrIntake } from '../adapters/newrelic/intake-server.js';
import { startWithOtlp } from '../adapters/otlp/helpers.js';
import { startCollector } from '../adapters/otlp/intake-server.js';
import { drive, jsonFaults, ndjsonFaults } from './hostile-wire.js';

const SEEDS = [1, 2, 3, 4];
const CALLS = 150;

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await getSightline()?.shutdown({ timeoutMs: 2000 });
  for (const close of closers.splice(0)) await close();
});

async function run(obs: Sightline, seed: number) {
  // The first calls of a kind compile what they run: a warm-up of other values first.
  drive(obs, seed + 1000, 40, Number.POSITIVE_INFINITY);
  const result = drive(obs, seed, CALLS);
  await obs.forceFlush();
  const drops = obs.drops();
  await obs.shutdown({ timeoutMs: 3000 });
  return { ...result, drops, stats: obs.stats() as Record<string, any> };
}

/** No call threw or held the event loop, and nothing on the wire is what the backend refuses. */
function expectClean(r: { threw: string[]; slow: string[] }, faults: string[]): void {
  expect({ threw: r.threw, slow: r.slow, faults: faults.slice(0, 10) }).toEqual({
    threw: [],
    slow: [],
    faults: [],
  });
}

describe.each(SEEDS)('hostile values, seed %i', (seed) => {
  it('datadog: series and HTTP logs as /api/v2 takes them', async () => {
    const server = await IntakeServer.start({ apiKey: KEY });
    closers.push(() => server.close());
    const { obs, lines } = startDatadog(server, { logs: 'http' });
    const r = await run(obs, seed);
    const faults: string[] = lines.flatMap(ndjsonFaults);
    for (const req of [...server.on('/api/v2/series'), ...server.on('/api/v2/logs')]) {
      if (req.status >= 300) faults.push(`${req.path} answered ${req.status}`);
      faults.push(...jsonFaults(JSON.parse(req.text)).map((f) => `${req.path} ${f}`));
    }
    for (const req of server.on('/api/v2/series'))
      for (const s of JSON.parse(req.text).series) {
        if (!/^[A-Za-z][A-Za-z0-9_.]{0,199}$/.test(s.metric)) faults.push(`metric name ${s.metric}`);
        for (const t of s.tags) if (t.length > 200) faults.push(`tag of ${t.length}`);
      }
    // A log over 1 MB is cut by Datadog, which says nothing of it.
    for (const req of server.on('/api/v2/logs'))
      for (const entry of JSON.parse(req.text)) {
        const bytes = Buffer.byteLength(JSON.stringify(entry));
        if (bytes > 1_048_576) faults.push(`log entry of ${bytes} bytes`);
      }
    expectClean(r, faults);
  });

  it('new relic: metrics, logs and spans as the intake takes them', async () => {
    const intake = await startNrIntake({ licenseKey: LICENSE_KEY });
    closers.push(() => intake.close());
    const { obs, lines } = startWithNewRelic(intake, { logs: 'api' } as never);
    const r = await run(obs, seed);
    const faults: string[] = lines.flatMap(ndjsonFaults);
    for (const req of intake.requests) {
      if (req.status >= 300) faults.push(`${req.path} answered ${req.status}`);
      if (req.json !== undefined) faults.push(...jsonFaults(req.json).map((f) => `${req.path} ${f}`));
    }
    // The Metric API's limits: names and attribute names within 255, values within 4,096, at most
    // 100 attributes a point.
    for (const req of intake.accepted('metrics'))
      for (const block of req.json as any[])
        for (const m of block.metrics) {
          if (m.name.length > 255) faults.push(`metric name of ${m.name.length}`);
          const attrs = Object.entries({ ...block.common?.attributes, ...m.attributes });
          if (attrs.length > 100) faults.push(`${attrs.length} attributes`);
          for (const [k, v] of attrs) {
            if (k.length > 255) faults.push(`attribute name of ${k.length}`);
            if (typeof v === 'string' && v.length > 4096) faults.push(`attribute value of ${v.length}`);
          }
        }
    expectClean(r, faults);
  });

  it('elastic: bulk documents as Elasticsearch takes them', async () => {
    const intake = await EsIntake.start({ authorization: AUTH });
    closers.push(() => intake.close());
    const { obs, lines } = startWithElastic(intake);
    const r = await run(obs, seed);
    const faults: string[] = lines.flatMap(ndjsonFaults);
    let refused = 0;
    for (const req of intake.requests) {
      if (req.status >= 300 || req.status < 0) faults.push(`${req.path} answered ${req.status}`);
      // A field given a number on one line and text or an object on another is refused, as
      // Elasticsearch's dynamic mapping does: the user's to fix, counted as rejected.
      for (const s of req.itemStatuses) if (s >= 300) refused++;
      if (req.kind === 'bulk') faults.push(...ndjsonFaults(req.body.toString('utf8')));
    }
    expectClean(r, faults);
    const dropped = ['metrics', 'logs', 'events'].map((s) => r.stats.elastic?.[s]?.dropped?.rejected ?? 0);
    expect(dropped.reduce((a, b) => a + b, 0)).toBe(refused);
  });

  it.each(['http/protobuf', 'http/json'] as const)('otlp (%s): as a collector takes it', async (protocol) => {
    const collector = await startCollector();
    closers.push(() => collector.close());
    const { obs, lines } = startWithOtlp(collector, { protocol });
    const r = await run(obs, seed);
    const faults: string[] = lines.flatMap(ndjsonFaults);
    for (const req of collector.requests) {
      if (req.status !== 200) faults.push(`${req.path} answered ${req.status}`);
      if (req.json !== undefined) faults.push(...jsonFaults(req.json).map((f) => `${req.path} ${f}`));
    }
    expectClean(r, faults);
  });

  it('cloudwatch API: PutMetricData and PutLogEvents as AWS takes them', async () => {
    const intake = await startAwsIntake();
    closers.push(() => intake.close());
    intake.streams.add('/shop/checkout:web-1');
    const { obs, logLines } = startApi(intake.url, {}, { anomaly: false, metricInterval: 3_600_000 });
    const r = await run(obs, seed);
    const faults: string[] = logLines.flatMap(ndjsonFaults);
    // The intake refuses what AWS refuses, with the whole request. Values no metric takes (NaN) are
    // left out before it, as `invalid`, and a line over the megabyte of an event as `too_large`.
    for (const [signal, s] of Object.entries(r.stats.cloudwatch ?? {}) as [string, any][])
      for (const [reason, n] of Object.entries(s?.dropped ?? {}))
        if (reason !== 'invalid' && reason !== 'too_large') faults.push(`${signal} ${reason}: ${n}`);
    for (const req of intake.requests)
      faults.push(...jsonFaults(req.body).map((f) => `${req.operation} ${f}`));
    expectClean(r, faults);
  });

  it('cloudwatch EMF: documents as CloudWatch Logs reads them', async () => {
    const { obs, written, logLines } = startEmf({}, { anomaly: false, metricInterval: 3_600_000 });
    const r = await run(obs, seed);
    const faults: string[] = logLines.flatMap(ndjsonFaults);
    for (const chunk of written) {
      const doc = chunk.includes('"_aws"') ? emfViolations(chunk) : [];
      faults.push(...doc, ...ndjsonFaults(chunk));
    }
    expectClean(r, faults);
  });
});
