import { createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { LoadDriver } from '../../examples/demo/load.js';
import type { Scenario } from '../../examples/demo/scenario.js';
import { close, listen } from '../integration/helpers/http-client.js';

const server = createServer();
afterEach(() => close(server));

const scenario: Scenario = {
  name: 'test',
  durationS: 4,
  intervalMs: 500,
  warmup: 0,
  amplitude: 0,
  routes: [{ route: 'GET /slow', method: 'GET', path: '/slow', rate: 2 }],
  faults: [],
};

describe('the demo load driver', () => {
  it('keeps its rate while the server takes 900 ms to answer, as under the latency fault, so no backlog bursts out once it recovers', async () => {
    let latencyMs = 900;
    const arrivals: number[] = [];
    server.on('request', (_req, res) => {
      arrivals.push(performance.now());
      setTimeout(() => res.end('ok'), latencyMs);
    });
    const url = await listen(server);
    const started = performance.now();
    const load = new LoadDriver(scenario, url, Date.now(), { runners: 1 });

    await new Promise((r) => setTimeout(r, 2900));
    const inTime = arrivals.filter((t) => t - started < 2900).length;
    latencyMs = 0;
    load.stop();
    await load.done;
    // 2 requests a second from the start: at 0, 1 and 2 s.
    expect(inTime).toBe(6);
  }, 30_000);
});
