import { createServer, type IncomingHttpHeaders } from 'node:http';
import { context, propagation } from '@opentelemetry/api';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { expressMiddleware } from '../../../src/integrations/express/index.js';
import { close, listen, request } from '../../integration/helpers/http-client.js';
import { agentOfFile, agentSpans, ddTraceOptions, start } from './helpers.js';

// dd-trace initialises once per process: this file starts it with its default styles (Datadog's,
// W3C's and baggage), for a service called with W3C headers that calls another.
const startAgent = agentOfFile();

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const PARENT = 'b7ad6b7169203331';

/** What service B's handler saw of its baggage, and the headers its call to C carried. */
interface Passed {
  seen: [string, string, string | undefined][];
  sent: IncomingHttpHeaders;
}

/** Calls service B (dd-trace mode) with these headers; B calls service C on the way. */
async function throughService(headers: Record<string, string>, path: string): Promise<Passed> {
  const agent = await startAgent();
  const { obs } = start(agent, ddTraceOptions(agent), { outbound: true });
  let sent: IncomingHttpHeaders = {};
  const serviceC = createServer((req, res) => {
    sent = req.headers;
    res.end('ok');
  });
  const c = await listen(serviceC);
  let seen: Passed['seen'] = [];
  const app = express();
  app.use(expressMiddleware());
  app.get(path, async (_req, res) => {
    const bag = propagation.getBaggage(context.active())?.getAllEntries() ?? [];
    seen = bag.map(([k, v]) => [k, v.value, v.metadata?.toString()]);
    await (await fetch(`${c}/stock`)).text();
    res.end('ok');
  });
  const serviceB = createServer(app);
  const b = await listen(serviceB);
  try {
    await request(b, path, { headers });
  } finally {
    await Promise.all([close(serviceB), close(serviceC)]);
    await obs.shutdown({ timeoutMs: 2000 });
  }
  return { seen, sent };
}

describe("traces: 'dd-trace', a caller's W3C trace context and baggage", () => {
  it('keeps the high half of a 128-bit trace id on its spans and on the calls out', async () => {
    const { sent } = await throughService({ traceparent: `00-${TRACE}-${PARENT}-01` }, '/wide');
    expect(sent.traceparent).toMatch(new RegExp(`^00-${TRACE}-[0-9a-f]{16}-01$`));
    const agent = await startAgent();
    const spans = await agentSpans(agent, '/wide');
    const server = spans.find((s) => s.name === 'http.server.request')!;
    expect(BigInt(server.trace_id).toString(16).padStart(16, '0')).toBe(TRACE.slice(16));
    expect(server.meta['_dd.p.tid']).toBe(TRACE.slice(0, 16));
  });

  it('passes on only the valid entries of its tracestate, as W3C Trace Context asks', async () => {
    const tracestate = 'rojo=00f067aa0ba902b7,Bad Key=1,x=a=b,congo=t61rcWkgMzE,y=';
    const { sent } = await throughService({ traceparent: `00-${TRACE}-${PARENT}-01`, tracestate }, '/state');
    const entries = String(sent.tracestate).split(',');
    expect(entries.filter((e) => !e.startsWith('dd='))).toEqual([
      'rojo=00f067aa0ba902b7',
      'congo=t61rcWkgMzE',
    ]);
  });

  it('passes on a tracestate past 512 characters without its longest entries first', async () => {
    const long = `big=${'x'.repeat(200)}`;
    const shorts = Array.from({ length: 30 }, (_, i) => `v${i}=${'y'.repeat(10)}`);
    const tracestate = [long, ...shorts].join(',');
    const { sent } = await throughService({ traceparent: `00-${TRACE}-${PARENT}-01`, tracestate }, '/long');
    const entries = String(sent.tracestate).split(',');
    expect(entries.filter((e) => !e.startsWith('dd='))).toEqual(shorts);
  });

  it("leaves out a caller's entry over 128 characters first where dd-trace's entry leaves no room", async () => {
    // 479 characters, within 512 as received: beside dd-trace's entry the long one, on the left,
    // goes before any of the short ones on its right.
    const long = `big=${'x'.repeat(125)}`;
    const shorts = Array.from({ length: 25 }, (_, i) => `v${String(i).padStart(2, '0')}=${'y'.repeat(9)}`);
    const tracestate = [long, ...shorts].join(',');
    expect(tracestate.length).toBe(479);
    const { sent } = await throughService({ traceparent: `00-${TRACE}-${PARENT}-01`, tracestate }, '/left');
    const [dd, ...callers] = String(sent.tracestate).split(',');
    expect(dd).toMatch(/^dd=/);
    expect(tracestate.length + 1 + dd!.length).toBeGreaterThan(512);
    expect(callers).toEqual(shorts);
  });

  it("sends a tracestate within 512 characters with dd-trace's entry, first, and the caller's that fit", async () => {
    // 495 characters, within 512 as received: dd-trace's own entry, some 50 more, went on past it.
    const shorts = Array.from({ length: 31 }, (_, i) => `v${String(i).padStart(2, '0')}=${'y'.repeat(11)}`);
    const tracestate = shorts.join(',');
    const { sent } = await throughService({ traceparent: `00-${TRACE}-${PARENT}-01`, tracestate }, '/full');
    const header = String(sent.tracestate);
    const [dd, ...callers] = header.split(',');
    expect(dd).toMatch(/^dd=.*s:1/);
    expect(header.length).toBeLessThanOrEqual(512);
    // Cut from the right, as W3C Trace Context asks: no more of the caller's would have fitted.
    expect(callers).toEqual(shorts.slice(0, callers.length));
    expect(header.length + 1 + (shorts[callers.length]?.length ?? 0)).toBeGreaterThan(512);
  });

  it.each([
    ['sampled', '03'],
    ['not sampled', '02'],
  ])(
    "keeps a %s caller's random trace-id flag on the calls out (W3C Trace Context Level 2)",
    async (_, flags) => {
      const { sent } = await throughService(
        { traceparent: `00-${TRACE}-${PARENT}-${flags}` },
        `/random${flags}`,
      );
      expect(sent.traceparent).toMatch(new RegExp(`^00-${TRACE}-[0-9a-f]{16}-${flags}$`));
    },
  );

  it('sends no random trace-id flag the caller did not send', async () => {
    const { sent } = await throughService({ traceparent: `00-${TRACE}-${PARENT}-01` }, '/plain');
    expect(sent.traceparent).toMatch(new RegExp(`^00-${TRACE}-[0-9a-f]{16}-01$`));
  });

  it('keeps 180 baggage entries, as W3C Baggage allows, for the handler and the calls out', async () => {
    const members = Array.from({ length: 180 }, (_, i) => `k${i}=v${i}`);
    const { seen, sent } = await throughService({ baggage: members.join(',') }, '/many');
    expect(seen).toHaveLength(180);
    expect(String(sent.baggage).split(',')).toEqual(members);
  });

  // dd-trace's OpenTelemetry bridge makes a new trace's id of 64 bits and keeps a baggage entry's
  // value alone, as the README says: when a dd-trace release changes either, the README must too.
  it("starts traces with 64-bit ids and drops baggage entries' properties, as the README says", async () => {
    const baggage = 'tenant=acme;region=eu';
    const { seen, sent } = await throughService({ baggage }, '/root');
    expect(sent.traceparent).toMatch(/^00-0{16}[0-9a-f]{16}-[0-9a-f]{16}-01$/);
    expect(seen).toEqual([['tenant', 'acme', undefined]]);
    expect(sent.baggage).toBe('tenant=acme');
  });
});
