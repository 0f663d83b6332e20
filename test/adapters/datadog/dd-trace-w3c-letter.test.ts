import type { AddressInfo } from 'node:net';
import { trace } from '@opentelemetry/api';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { expressMiddleware } from '../../../src/integrations/express/index.js';
import { close, request } from '../../integration/helpers/http-client.js';
import { agentOfFile, ddTraceOptions, start } from './helpers.js';

// dd-trace initialises once per process: this file starts it with its default styles, W3C's among
// them, which read the traceparent of a request without Datadog's headers.
const startAgent = agentOfFile();

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const SPAN = 'b7ad6b7169203331';

describe("traces: 'dd-trace', W3C traceparents W3C receivers ignore", () => {
  it.each([
    ['upper-case hex', `00-${TRACE.toUpperCase()}-${SPAN.toUpperCase()}-01`],
    ['upper-case hex in the span id alone', `00-${TRACE}-${SPAN.toUpperCase()}-01`],
  ])('starts a trace of its own for a request sent one of %s, as without dd-trace', async (_case, tp) => {
    const agent = await startAgent();
    const { obs } = start(agent, ddTraceOptions(agent));
    const app = express();
    app.use(expressMiddleware());
    app.get('/orders', (_req, res) => {
      res.json({ traceId: trace.getActiveSpan()?.spanContext().traceId });
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const reply = await request(base, '/orders', { headers: { traceparent: tp, tracestate: 'vendor=1' } });
    await close(server);
    await obs.shutdown({ timeoutMs: 2000 });
    const { traceId } = JSON.parse(reply.body) as { traceId: string };
    // Trace Context: ids are lower-case hex, and a traceparent of others is ignored.
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(traceId).not.toBe(TRACE);
  });
});
