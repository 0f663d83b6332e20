import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AnomalyEvent } from '../../../src/anomaly/event.js';
import type { Sightline } from '../../../src/api/types.js';
import {
  ACCOUNT_ID,
  expectGolden,
  LICENSE_KEY,
  normalize,
  startWithNewRelic,
  stopSightline,
} from './helpers.js';
import { endpointsFor, type NrIntake, startNrIntake } from './intake-server.js';
import { startHungBackend } from '../../helpers/hung-backend.js';

const TIME = 1_700_000_000_000;

const anomaly = (over: Partial<AnomalyEvent> = {}): AnomalyEvent => ({
  metric: 'checkout.cart.value',
  attributes: { region: 'eu', canary: true, 'http.route': '/orders' },
  time: TIME,
  observed: 12.5,
  expected: 87.5,
  band: { lower: 60, upper: 110 },
  score: 0.97,
  severity: 82,
  kind: 'level_shift',
  explanation: 'checkout.cart.value fell to 12.5, expected 60..110',
  service: 'checkout',
  environment: 'prod',
  ...over,
});

const emit = (obs: Sightline, event: AnomalyEvent) =>
  (obs as unknown as { emitAnomaly(e: AnomalyEvent): void }).emitAnomaly(event);

let intake: NrIntake;
beforeEach(async () => {
  // The anomalies were detected a minute ago: the Event API takes an event up to 24 hours old.
  vi.useFakeTimers({ toFake: ['Date'], now: TIME + 60_000, shouldAdvanceTime: true });
  intake = await startNrIntake({ licenseKey: LICENSE_KEY });
});
afterEach(async () => {
  vi.useRealTimers();
  await stopSightline();
  await intake.close();
});

describe('newrelic anomaly events → Event API', () => {
  it('sends a queued event within the shutdown deadline while the trace intake hangs', async () => {
    const hung = await startHungBackend();
    try {
      const { obs } = startWithNewRelic(intake, {
        endpoints: { ...endpointsFor(intake, ACCOUNT_ID), traces: `${hung.url}/v1/traces` },
        // Nothing is sent before shutdown() asks for it.
        channel: { flushIntervalMs: 60_000 },
      });
      obs.trace('checkout', () => {});
      emit(obs, anomaly());
      await obs.shutdown({ timeoutMs: 500 });
      expect(intake.accepted('events')).toHaveLength(1);
      expect(obs.stats().newrelic?.events).toMatchObject({ produced: 1, delivered: 1, queued: 0 });
      expect(obs.stats().newrelic?.events?.dropped).toEqual({});
    } finally {
      await hung.close();
    }
  });

  it('POSTs flat custom events of type SightlineAnomaly to /v1/accounts/{id}/events', async () => {
    const { obs } = startWithNewRelic(intake);
    emit(obs, anomaly());
    await obs.forceFlush();

    const accepted = intake.accepted('events');
    expect(accepted).toHaveLength(1);
    const req = accepted[0]!;
    expect(req.path).toBe(`/v1/accounts/${ACCOUNT_ID}/events`);
    expect(req.headers['api-key']).toBe(LICENSE_KEY);
    expect(req.headers['content-encoding']).toBe('gzip');
    expect(req.headers['content-type']).toBe('application/json');
    expect(Number(req.headers['content-length'])).toBe(req.wire.byteLength);
    expect(req.status).toBe(200);
    const events = req.json as Record<string, unknown>[];
    for (const e of events)
      for (const v of Object.values(e)) expect(['string', 'number']).toContain(typeof v);
    expect(events[0]!.timestamp).toBe(1_700_000_000_000);
    expectGolden('events', normalize(events));
    expect(obs.stats().newrelic?.events).toMatchObject({ produced: 1, delivered: 1, queued: 0 });
  });

  it('drops an event still unsent past the 24 hours the Event API takes it (a paused process), counting it as expired', async () => {
    const { obs } = startWithNewRelic(intake);
    emit(obs, anomaly());
    // The process stood still for 25 hours right after the anomaly was detected.
    vi.setSystemTime(TIME + 25 * 3_600_000);
    emit(obs, anomaly({ time: TIME + 25 * 3_600_000 }));
    await obs.forceFlush();
    const events = intake.accepted('events').flatMap((r) => r.json as Record<string, unknown>[]);
    expect(events.map((e) => e.timestamp)).toEqual([TIME + 25 * 3_600_000]);
    expect(obs.stats().newrelic?.events).toMatchObject({ produced: 2, delivered: 1, queued: 0 });
    expect(obs.stats().newrelic?.events?.dropped).toEqual({ expired: 1 });
  });

  it('keeps events within the attribute limits: 4096-char values, 255 attributes, custom eventType', async () => {
    const { obs } = startWithNewRelic(intake, { eventType: 'CheckoutAnomaly' });
    const attributes: Record<string, string> = {};
    for (let i = 0; i < 300; i++) attributes[`a${i}`] = 'v';
    emit(obs, anomaly({ explanation: 'e'.repeat(6000), attributes }));
    await obs.forceFlush();

    const [event] = intake.accepted('events')[0]!.json as Record<string, unknown>[];
    expect(event!.eventType).toBe('CheckoutAnomaly');
    expect(event!.explanation).toBe('e'.repeat(4096));
    expect(Object.keys(event!).length).toBe(255);
    const ownFields = Object.keys(event!).filter((k) => !k.startsWith('attr.')).length;
    expect(obs.drops().attribute_count_limit).toBe(300 - (255 - ownFields));
  });

  it('counts a value cut to the 4,096 characters an event takes as truncated_attribute', async () => {
    const { obs } = startWithNewRelic(intake);
    const query = `select ${'c'.repeat(5000)}`;
    // An explanation quoting a series with a long attribute (maxAttributeLength set above 4,096).
    emit(
      obs,
      anomaly({ explanation: `db.queries rose on ${query}`, attributes: { 'db.query.text': query } }),
    );
    await obs.forceFlush();

    const [event] = intake.accepted('events')[0]!.json as Record<string, unknown>[];
    expect(String(event!.explanation)).toHaveLength(4096);
    expect(event!['attr.db.query.text']).toBe(query.slice(0, 4096));
    expect(obs.drops().truncated_attribute).toBe(2);
  });

  it('keeps two attributes whose names differ only past the 255 characters an event takes, and counts the cut', async () => {
    const { obs } = startWithNewRelic(intake);
    const long = `cache.${'k'.repeat(260)}`;
    emit(obs, anomaly({ attributes: { [`${long}.hit`]: 'yes', [`${long}.miss`]: 'no' } }));
    await obs.forceFlush();

    const [event] = intake.accepted('events')[0]!.json as Record<string, unknown>[];
    const names = Object.keys(event!).filter((k) => k.startsWith('attr.'));
    expect(names).toHaveLength(2);
    for (const k of names) expect(k.length).toBeLessThanOrEqual(255);
    expect(names.map((k) => event![k]).sort()).toEqual(['no', 'yes']);
    expect(obs.drops().truncated_attribute).toBe(2);
  });

  it('sends no events without an account id, and says how to enable them', async () => {
    const written: string[] = [];
    const original = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    let obs: Sightline;
    try {
      const { events: _events, ...endpoints } = endpointsFor(intake, ACCOUNT_ID);
      ({ obs } = startWithNewRelic(intake, { endpoints }, { diagnostics: 'info' }));
    } finally {
      process.stderr.write = original;
    }
    emit(obs, anomaly());
    await obs.forceFlush();
    expect(intake.requests.filter((r) => r.api === 'events')).toHaveLength(0);
    expect(obs.stats().newrelic?.events).toBeUndefined();
    expect(written.join('')).toMatch(/NEW_RELIC_ACCOUNT_ID/);
  });
});
