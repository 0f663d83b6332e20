import { createServer } from 'node:http';
import express from 'express';
import { describe, expect, it, vi } from 'vitest';
import { expressMiddleware } from '../../../src/integrations/express/index.js';
import { close, listen, request } from '../../integration/helpers/http-client.js';
import { agentOfFile, ddTraceOptions, start } from './helpers.js';
import { decodeTraces } from './msgpack.js';

// dd-trace initialises once per process: this file starts it in a service set to trace nothing.
vi.stubEnv('OTEL_TRACES_SAMPLER', 'always_off');
const startAgent = agentOfFile();

describe("traces: 'dd-trace' with OTEL_TRACES_SAMPLER=always_off", () => {
  it("drops new traces and keeps a caller's sampled one, as dd-trace keeps every caller's decision", async () => {
    const agent = await startAgent();
    const { obs } = start(agent, ddTraceOptions(agent));
    const app = express();
    app.use(expressMiddleware());
    app.get('/orders', (_req, res) => res.send('ok'));
    const server = createServer(app);
    const base = await listen(server);
    await request(base, '/orders');
    const caller = '0af7651916cd43dd8448eb211c80319c';
    await request(base, '/orders', { headers: { traceparent: `00-${caller}-b7ad6b7169203331-01` } });
    await close(server);
    await obs.forceFlush();
    const spans = () =>
      agent.requests
        .filter((r) => /^\/v0\.[45]\/traces$/.test(r.path))
        .flatMap((r) => decodeTraces(r.raw).flat());
    await agent.waitFor(() => spans().length === 2);
    const priorities = spans().map((s) => [
      s.meta['_dd.p.tid'] === caller.slice(0, 16),
      s.metrics._sampling_priority_v1,
    ]);
    expect(priorities.sort()).toEqual([
      [false, -1],
      [true, 1],
    ]);
  });
});
