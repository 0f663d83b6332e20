import http from 'node:http';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import type { AnomalyEvent } from '../../src/index.js';
import { getSightline, init } from '../../src/index.js';
import { expressMiddleware } from '../../src/integrations/express/index.js';
import { close, listen } from './helpers/http-client.js';

afterEach(async () => {
  await getSightline()?.shutdown();
});

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

function get(base: string, path: string): Promise<void> {
  return new Promise((resolve) => {
    const req = http.get(`${base}${path}`, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    req.on('error', () => resolve());
  });
}

/**
 * Paced loops, two per route: each sends at most one request every 25 ms, so the load stays the
 * same on every route when one of them slows down (a closed loop would shift traffic to the others).
 */
function steadyLoad(base: string, paths: string[], until: () => boolean): Promise<void> {
  const loop = async (path: string) => {
    while (!until()) {
      const started = Date.now();
      await get(base, path);
      await new Promise((r) => setTimeout(r, Math.max(0, 25 - (Date.now() - started))));
    }
  };
  return Promise.all(paths.flatMap((p) => [loop(p), loop(p)])).then(() => {});
}

describe('the anomaly engine on a real Express service', () => {
  it('flags a latency regression on one route, with that route in the event, and nothing on the others', async () => {
    // Prepare: a short collection cycle so the baseline is learned within seconds.
    const obs = init({
      service: 'shop',
      logStream: { write() {} },
      metricInterval: 250,
      outbound: false,
      anomaly: { warmup: 20 },
    });
    const events: AnomalyEvent[] = [];
    obs.onAnomaly((e) => events.push(e));
    let extraDelayMs = 0;
    const app = express();
    app.use(expressMiddleware({ accessLog: false }));
    app.get('/items/:id', (_req, res) => {
      setTimeout(() => res.json({ ok: true }), 2 + extraDelayMs);
    });
    app.get('/cart', (_req, res) => {
      setTimeout(() => res.json({ ok: true }), 2);
    });
    app.get('/health/deep', (_req, res) => res.json({ ok: true }));
    const server = http.createServer(app);
    const base = await listen(server);

    // Act: 12 s of steady load (about 48 cycles), the regression injected at 8 s.
    const started = Date.now();
    let injectedAt = 0;
    const injector = setTimeout(() => {
      extraDelayMs = 250;
      injectedAt = Date.now();
    }, 8000);
    await steadyLoad(
      base,
      ['/items/1', '/items/2', '/cart', '/health/deep'],
      () => Date.now() - started > 12_000,
    );
    clearTimeout(injector);
    await close(server);

    // Assess
    const onItems = events.filter((e) => e.attributes['http.route'] === '/items/:id');
    const elsewhere = events.filter((e) => e.attributes['http.route'] !== '/items/:id');
    expect(elsewhere).toEqual([]);
    const latency = onItems.find((e) => e.metric === 'http.server.request.duration.p95');
    expect(latency).toBeDefined();
    expect(latency?.time).toBeGreaterThanOrEqual(injectedAt);
    expect(latency?.attributes).toEqual({ 'http.request.method': 'GET', 'http.route': '/items/:id' });
    // The baseline stays below the regressed latency; on a loaded machine timers run late, and the
    // p95 of a 2 ms handler reaches the 0.1-0.25 s bucket.
    expect(latency?.observed).toBeGreaterThan(0.2);
    expect(latency?.expected).toBeLessThan(0.2);
    expect(latency?.explanation).toContain('GET /items/:id');
  }, 30_000);
});
