import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AnomalyEvent } from '../../../src/anomaly/event.js';
import type { SightlineInstance } from '../../../src/api/sightline.js';
import { getSightline } from '../../../src/index.js';
import { expectGolden, KEY, loopbackOptions, start } from './helpers.js';
import { IntakeServer } from './intake-server.js';

let server: IntakeServer | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await getSightline()?.shutdown({ timeoutMs: 2000 });
  await server?.close();
  server = undefined;
});

const TIME = Date.UTC(2024, 4, 1, 12, 0, 0);
// The anomalies were detected a minute ago: Datadog takes an event up to 18 hours old.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'], now: TIME + 60_000, shouldAdvanceTime: true });
});

function anomaly(overrides: Partial<AnomalyEvent> = {}): AnomalyEvent {
  return {
    metric: 'http.server.request.duration.p95',
    attributes: { 'http.request.method': 'GET', 'http.route': '/users/:id' },
    time: TIME,
    observed: 640,
    expected: 200,
    band: { lower: 150, upper: 260 },
    score: 0.97,
    severity: 91,
    kind: 'spike',
    explanation: 'p95 latency of GET /users/:id is 640 ms, expected about 200 ms (band 150 to 260)',
    service: 'checkout',
    environment: 'prod',
    ...overrides,
  };
}

describe('anomaly events → POST /api/v1/events', () => {
  it('sends one readable event per request with tags, alert type and aggregation key (golden)', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs } = start(server, { metrics: 'none' });
    const emit = (e: AnomalyEvent) =>
      (obs as unknown as { emitAnomaly(e: AnomalyEvent): void }).emitAnomaly(e);
    emit(anomaly());
    emit(
      anomaly({
        severity: 60,
        observed: 120,
        kind: 'dip',
        attributes: { region: 'eu' },
        metric: 'orders.placed',
        explanation: 'orders.placed is 120 per minute, expected about 200',
      }),
    );
    await obs.forceFlush();

    const requests = server.on('/api/v1/events');
    expect(requests).toHaveLength(2);
    for (const r of requests) {
      expect(r.headers['dd-api-key']).toBe(KEY);
      expect(r.status).toBe(202);
    }
    // Several requests go at once, so they may arrive in any order: read them in the title's.
    const [first, second] = requests
      .map((r) => JSON.parse(r.text) as Record<string, any>)
      .sort((a, b) => String(a.title).localeCompare(String(b.title)));
    expect(first?.title).toBe('Anomaly: checkout http.server.request.duration.p95 up 3.2x on GET /users/:id');
    expect(first?.alert_type).toBe('error');
    expect(first?.date_happened).toBe(TIME / 1000);
    expect(second?.title).toBe('Anomaly: checkout orders.placed down 40% on region=eu');
    expect(second?.alert_type).toBe('warning');
    expect(second?.aggregation_key).not.toBe(first?.aggregation_key);
    expectGolden('events', [first, second]);
  });

  it("names the attributes beside a series' route in the title, so two regions' events tell apart", async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs } = start(server, { metrics: 'none' });
    const emit = (e: AnomalyEvent) =>
      (obs as unknown as { emitAnomaly(e: AnomalyEvent): void }).emitAnomaly(e);
    const route = { 'http.request.method': 'POST', 'http.route': '/checkout' };
    for (const region of ['us', 'eu'])
      emit(
        anomaly({
          metric: 'orders.placed',
          attributes: { ...route, region },
          observed: 0,
          expected: 45,
          kind: 'level_shift',
        }),
      );
    await obs.forceFlush();

    const titles = server.on('/api/v1/events').map((r) => (JSON.parse(r.text) as { title: string }).title);
    // Several requests go at once, so they may arrive in any order.
    expect(titles.sort()).toEqual([
      'Anomaly: checkout orders.placed down 100% on POST /checkout region=eu',
      'Anomaly: checkout orders.placed down 100% on POST /checkout region=us',
    ]);
  });

  it('titles an error burst on a route that never failed by its error rate in percent, not as a multiple of none', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs } = start(server, { metrics: 'none' }, { anomaly: { warmup: 30 } });
    const engine = (obs as SightlineInstance).anomalyEngine!;
    const duration = obs.metrics.histogram('http.server.request.duration', { unit: 's' });
    const route = { 'http.request.method': 'GET', 'http.route': '/products' };
    const cycle = async (errors: number) => {
      for (let i = 0; i < 20; i++) {
        const failed = i < errors;
        duration.record(0.015, {
          ...route,
          'http.response.status_code': failed ? 503 : 200,
          ...(failed ? { 'error.type': '503' } : {}),
        });
      }
      await engine.runCycle();
    };
    for (let c = 0; c < 60; c++) await cycle(0);
    for (let c = 0; c < 5; c++) await cycle(10);
    await obs.forceFlush();

    const titles = server.on('/api/v1/events').map((r) => (JSON.parse(r.text) as { title: string }).title);
    expect(titles).toEqual(['Anomaly: checkout http.server.error.rate up to 50 % on GET /products']);
  });

  it('sends and logs the event as detected when an onAnomaly listener changes the one it was given', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs, lines } = start(server, { metrics: 'none' });
    const heard: AnomalyEvent[] = [];
    obs.onAnomaly((e) => {
      heard.push(structuredClone(e));
      const mutable = e as unknown as Record<string, unknown>;
      delete mutable.band;
      mutable.explanation = 'paged';
      (e.attributes as Record<string, unknown>).user = 'u-1';
    });
    obs.onAnomaly(async (e) => {
      await Promise.resolve();
      (e.attributes as Record<string, unknown>).ticket = 'T-9';
    });
    (obs as unknown as { emitAnomaly(e: AnomalyEvent): void }).emitAnomaly(anomaly());
    await obs.forceFlush();

    expect(heard).toEqual([anomaly()]);
    expect(obs.stats().datadog?.events).toMatchObject({ produced: 1, delivered: 1 });
    expect(obs.stats().datadog?.events?.dropped).toEqual({});
    const [sent] = server.on('/api/v1/events').map((r) => JSON.parse(r.text) as Record<string, any>);
    expect(sent?.text).toContain(anomaly().explanation);
    expect(sent?.text).toContain('150');
    expect(sent?.tags.join()).not.toMatch(/u-1|T-9/);
    const logged = JSON.parse(lines.find((l) => l.includes('"anomaly"'))!).anomaly;
    expect(logged).toEqual(anomaly());
  });

  it('keeps the title within 100 and the text within 4,000 characters, and the key per series stable', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs } = start(server, { metrics: 'none' });
    const emit = (e: AnomalyEvent) =>
      (obs as unknown as { emitAnomaly(e: AnomalyEvent): void }).emitAnomaly(e);
    const huge = anomaly({
      metric: `m.${'x'.repeat(300)}`,
      attributes: { 'http.route': `/${'r'.repeat(500)}`, extra: 'z'.repeat(5000) },
      explanation: 'e'.repeat(10_000),
    });
    emit(huge);
    emit({ ...huge, time: TIME + 60_000 });
    await obs.forceFlush();
    const bodies = server.on('/api/v1/events').map((r) => JSON.parse(r.text) as Record<string, any>);
    expect(bodies).toHaveLength(2);
    for (const b of bodies) {
      expect(b.title.length).toBeLessThanOrEqual(100);
      expect(b.text.length).toBeLessThanOrEqual(4000);
      expect(b.text.startsWith('%%% \n')).toBe(true);
      expect(b.text.endsWith('\n %%%')).toBe(true);
      expect(b.aggregation_key.length).toBeLessThanOrEqual(100);
      for (const t of b.tags) expect(t.length).toBeLessThanOrEqual(200);
    }
    expect(bodies[0]?.aggregation_key).toBe(bodies[1]?.aggregation_key);
  });

  it('cuts the title and text between characters, never inside an emoji', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs } = start(server, { metrics: 'none' });
    const emit = (e: AnomalyEvent) =>
      (obs as unknown as { emitAnomaly(e: AnomalyEvent): void }).emitAnomaly(e);
    // One unit more or less before the emoji, so that one of the two cuts falls inside one.
    for (const lead of ['', 'a']) {
      emit(
        anomaly({
          metric: 'orders.placed',
          attributes: { tenant: `${lead}${'🚀'.repeat(60)}` },
          explanation: `${lead}${'🚀'.repeat(2500)}`,
        }),
      );
    }
    await obs.forceFlush();
    const requests = server.on('/api/v1/events');
    expect(requests).toHaveLength(2);
    const loneHalf = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
    for (const r of requests) {
      const body = JSON.parse(r.text) as { title: string; text: string };
      expect(body.title.length).toBeLessThanOrEqual(100);
      expect(body.title).toMatch(/🚀\.\.\.$/);
      expect(body.title).not.toMatch(loneHalf);
      expect(body.text.length).toBeLessThanOrEqual(4000);
      expect(body.text).not.toMatch(loneHalf);
    }
  });

  it("groups a series' events from every replica under one aggregation key, and no other service's or environment's", async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const intake = server;
    // Each deployment's instance reports the same series (a route both services serve).
    const keyOf = async (service: string, environment: string, hostname: string) => {
      const { obs } = start(intake, { metrics: 'none', hostname }, { service, environment });
      (obs as unknown as { emitAnomaly(e: AnomalyEvent): void }).emitAnomaly(
        anomaly({ service, environment }),
      );
      await obs.shutdown({ timeoutMs: 2000 });
      const sent = intake.on('/api/v1/events').map((r) => JSON.parse(r.text) as Record<string, any>);
      return sent.at(-1)?.aggregation_key as string;
    };

    const replicas = [await keyOf('checkout', 'prod', 'web-01'), await keyOf('checkout', 'prod', 'web-02')];
    const billing = await keyOf('billing', 'prod', 'web-01');
    const staging = await keyOf('checkout', 'staging', 'web-01');

    expect(replicas[0]).toBe(replicas[1]);
    expect(billing).not.toBe(replicas[0]);
    expect(staging).not.toBe(replicas[0]);
  });

  it("names the adapter's own service and env in the event's text and key, as in its title and tags", async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const intake = server;
    // Two services both named `api` to sightline (their package.json), told apart to Datadog.
    const sent = async (service: string) => {
      const { obs } = start(
        intake,
        { metrics: 'none', service, env: 'prod-eu' },
        { service: 'api', environment: 'production' },
      );
      (obs as unknown as { emitAnomaly(e: AnomalyEvent): void }).emitAnomaly(
        anomaly({ service: 'api', environment: 'production' }),
      );
      await obs.shutdown({ timeoutMs: 2000 });
      return JSON.parse(intake.on('/api/v1/events').at(-1)!.text) as Record<string, any>;
    };
    const orders = await sent('orders');
    const billing = await sent('billing');
    expect(orders.tags).toEqual(expect.arrayContaining(['service:orders', 'env:prod-eu']));
    expect(orders.title).toContain('orders');
    expect(orders.text).toContain('| Service | orders (env prod-eu) |');
    expect(orders.aggregation_key).not.toBe(billing.aggregation_key);
  });

  it('tags an anomaly on a series whose attributes name another service with its own service only', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs } = start(server, { metrics: 'none' });
    (obs as unknown as { emitAnomaly(e: AnomalyEvent): void }).emitAnomaly(
      anomaly({ metric: 'gateway.calls', attributes: { service: 'payments', env: 'prod', route: '/pay' } }),
    );
    await obs.shutdown({ timeoutMs: 2000 });
    const tags = (JSON.parse(server.on('/api/v1/events').at(-1)!.text) as { tags: string[] }).tags;
    expect(tags.filter((t) => /^(service|env):/.test(t))).toEqual(['env:prod', 'service:checkout']);
    expect(tags).toEqual(expect.arrayContaining(['attr.service:payments', 'route:/pay']));
  });

  it('counts each tag cut to 200 characters as truncated_attribute, once per event even when it is sent again', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    server.script('/api/v1/events', { status: 503 });
    const { obs } = start(server, { metrics: 'none' });
    const emit = (e: AnomalyEvent) =>
      (obs as unknown as { emitAnomaly(e: AnomalyEvent): void }).emitAnomaly(e);
    emit(
      anomaly({
        metric: `m.${'x'.repeat(300)}`,
        attributes: { 'http.route': `/${'r'.repeat(500)}`, region: 'eu' },
      }),
    );
    await obs.forceFlush();
    const requests = server.on('/api/v1/events');
    expect(requests.map((r) => r.status)).toEqual([503, 202]);
    const tags = (JSON.parse(requests[1]!.text) as { tags: string[] }).tags;
    expect(tags.filter((t) => t.length === 200)).toHaveLength(2);
    expect(tags).toContain('region:eu');
    expect(obs.drops().truncated_attribute).toBe(2);
    expect(obs.stats().datadog?.events).toMatchObject({ produced: 1, delivered: 1 });
  });

  it('counts a DD_TAGS entry cut to 200 characters for each event sent with it', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const note = `deploy-note-${'n'.repeat(250)}`;
    const { obs } = start(server, { metrics: 'none', processEnv: { DD_TAGS: `team:shop ${note}` } });
    const emit = (e: AnomalyEvent) =>
      (obs as unknown as { emitAnomaly(e: AnomalyEvent): void }).emitAnomaly(e);
    emit(anomaly());
    emit(anomaly({ time: TIME + 60_000 }));
    await obs.forceFlush();
    const tags = server.on('/api/v1/events').flatMap((r) => (JSON.parse(r.text) as { tags: string[] }).tags);
    expect(tags.filter((t) => t.startsWith('deploy-note-'))).toEqual([
      expect.stringMatching(/^.{183}_[0-9a-f]{16}$/),
      expect.stringMatching(/^.{183}_[0-9a-f]{16}$/),
    ]);
    expect(obs.drops().truncated_attribute).toBe(2);
  });

  it('drops an event still unsent past the 18 hours Datadog takes it (a paused process), counting it as expired', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs } = start(server, { metrics: 'none' });
    (obs as unknown as { emitAnomaly(e: AnomalyEvent): void }).emitAnomaly(anomaly());
    // The process stood still for 19 hours right after the anomaly was detected.
    vi.setSystemTime(TIME + 19 * 3_600_000);
    (obs as unknown as { emitAnomaly(e: AnomalyEvent): void }).emitAnomaly(
      anomaly({ time: TIME + 19 * 3_600_000 }),
    );
    await obs.forceFlush();
    const sent = server.on('/api/v1/events').map((r) => JSON.parse(r.text) as Record<string, any>);
    expect(sent.map((e) => e.date_happened)).toEqual([TIME / 1000 + 19 * 3600]);
    expect(obs.stats().datadog?.events).toMatchObject({ produced: 2, delivered: 1, queued: 0 });
    expect(obs.stats().datadog?.events?.dropped).toEqual({ expired: 1 });
  });
});

describe('anomaly events during an incident', () => {
  // The intake's arrival times against the channel's hold, both on the real clock: the faked one
  // moves in steps of a timer that falls behind on a loaded machine.
  beforeEach(() => {
    vi.useRealTimers();
  });

  /** One event per route of an outage, each its own series, detected now. */
  const storm = (n: number): AnomalyEvent[] =>
    Array.from({ length: n }, (_, i) =>
      anomaly({ time: Date.now(), attributes: { 'http.request.method': 'GET', 'http.route': `/r${i}` } }),
    );
  const emitAll = (obs: SightlineInstance | object, events: AnomalyEvent[]) => {
    for (const e of events) (obs as { emitAnomaly(e: AnomalyEvent): void }).emitAnomaly(e);
  };
  const titles = (s: IntakeServer) =>
    new Set(s.on('/api/v1/events').map((r) => (JSON.parse(r.text) as { title: string }).title));

  it('sends 256 queued events within the shutdown deadline from an intake 100 ms away', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    server.script('/api/v1/events', ...Array.from({ length: 256 }, () => ({ delayMs: 100 })));
    const { obs } = start(server, { metrics: 'none' });
    emitAll(obs, storm(256));
    const began = Date.now();
    await obs.shutdown({ timeoutMs: 5000 });
    expect(Date.now() - began).toBeLessThan(5000);
    const stats = obs.stats().datadog?.events;
    expect(stats?.dropped).toEqual({});
    expect(stats).toMatchObject({ produced: 256, delivered: 256, queued: 0 });
    expect(titles(server).size).toBe(256);
  });

  it('queues the 600 events one detection cycle gives for an outage of 300 routes, and sends them all', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs } = start(server, { metrics: 'none' });
    emitAll(
      obs,
      storm(300).flatMap((e) => [e, { ...e, metric: 'http.server.error_rate', kind: 'level_shift' }]),
    );
    expect(obs.stats().datadog?.events?.dropped).toEqual({});
    await obs.forceFlush({ timeoutMs: 10_000 });
    expect(obs.stats().datadog?.events).toMatchObject({ produced: 600, delivered: 600, queued: 0 });
    expect(titles(server).size).toBe(600);
  });

  /**
   * One event refused with a 429 whose X-RateLimit-Reset is a second away, then 39 more once the
   * refusal has been read, with eight requests in flight and the retry budget given: what reached
   * the intake after the refused request (its retry too), and how long after it.
   */
  async function rateLimited(maxElapsedMs?: number) {
    server = await IntakeServer.start({ apiKey: KEY });
    server.script('/api/v1/events', {
      status: 429,
      headers: { 'x-ratelimit-reset': '1' },
      body: '{"errors":["Rate limit exceeded"]}',
    });
    const options = loopbackOptions(server).channel;
    const retry = { ...options?.retry, ...(maxElapsedMs === undefined ? {} : { maxElapsedMs }) };
    const { obs } = start(server, { metrics: 'none', channel: { ...options, concurrency: 8, retry } });
    emitAll(obs, storm(1));
    await server.waitFor(() => server!.on('/api/v1/events').length === 1);
    const refusedAt = server.on('/api/v1/events')[0]!.at;
    // Long enough for the 429 to be read; then more events come.
    await new Promise((r) => setTimeout(r, 50));
    emitAll(obs, storm(40).slice(1));
    await obs.forceFlush({ timeoutMs: 5000 });
    const after = server.on('/api/v1/events').slice(1);
    return { obs, after, since: after.map((r) => r.at - refusedAt) };
  }

  it("holds every request of the channel, not only the refused one's, for the X-RateLimit-Reset of a 429", async () => {
    const { obs, after, since } = await rateLimited();
    expect(after.filter((r) => r.status === 202)).toHaveLength(40);
    // Nothing more reached the intake before Datadog's window reset.
    expect(since.filter((ms) => ms < 950)).toEqual([]);
    expect(obs.stats().datadog?.events).toMatchObject({ delivered: 40, retried: 1, dropped: {} });
  });

  // A reset that comes after the refused request's retry budget ends: that request gives up, and
  // the others went on sending into the rate limit at once.
  it('holds the other requests of the channel for a 429 whose reset the refused one does not wait for', async () => {
    const { obs, since } = await rateLimited(500);
    expect(obs.stats().datadog?.events).toMatchObject({ delivered: 39, dropped: { retries_exhausted: 1 } });
    // Held for as long as a batch may be retried, the budget the refused request had.
    expect(since.filter((ms) => ms < 450)).toEqual([]);
  });
});
