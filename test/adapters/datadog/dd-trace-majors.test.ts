/**
 * The Datadog adapter on each dd-trace major the package supports: the same service runs once
 * with the installed dd-trace (6) and once with dd-trace 5 in its place, each in a child of its
 * own since dd-trace initialises once per process.
 */
import { spawn } from 'node:child_process';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { close, listen } from '../../integration/helpers/http-client.js';
import { decodeTraces, type Span } from './msgpack.js';

const child = fileURLToPath(new URL('./dd-trace-service-child.ts', import.meta.url));
const hook = fileURLToPath(new URL('./dd-trace5-hook.ts', import.meta.url));

/** Runs the service with these node flags; returns what its Agent and the service it called got. */
async function runService(flags: string[]) {
  const spans: Span[] = [];
  const agent = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.url === '/v0.4/traces') spans.push(...decodeTraces(Buffer.concat(chunks)).flat());
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"rate_by_service":{}}');
    });
  });
  const calls: { path: string | undefined; headers: IncomingHttpHeaders }[] = [];
  const downstream = createServer((req, res) => {
    calls.push({ path: req.url, headers: req.headers });
    res.end('12');
  });
  const args = ['--import', 'tsx', ...flags, child, await listen(agent), await listen(downstream)];
  const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (d) => {
    stdout += d;
  });
  p.stderr.on('data', (d) => {
    stderr += d;
  });
  const code = await new Promise((resolve) => p.on('exit', resolve));
  await Promise.all([close(agent), close(downstream)]);
  expect(code, stderr).toBe(0);
  const reported = JSON.parse(stdout) as { lines: string[]; packages: string[]; version: string };
  return { spans, calls, reported };
}

/** A decimal uint64 id as the 16 hex digits of W3C trace context. */
const hex = (id: string) => BigInt(id).toString(16).padStart(16, '0');

describe.each([
  ['6', 'dd-trace', []],
  ['5', 'dd-trace5', ['--import', hook]],
])("traces: 'dd-trace' on dd-trace %s", (major, pkg, flags) => {
  let run: Awaited<ReturnType<typeof runService>>;
  beforeAll(async () => {
    run = await runService(flags);
  }, 20_000);
  const serverSpan = (resource: string) =>
    run.spans.find((s) => s.meta['span.kind'] === 'server' && s.resource === resource)!;
  const serverSpanIn = (traceId: string) =>
    run.spans.find((s) => s.meta['span.kind'] === 'server' && s.trace_id === traceId)!;

  it('spans reach the Agent at shutdown with the service tags; logs and calls out carry their ids', () => {
    const { spans: all, calls, reported } = run;

    // The adapter loaded that major, and no other copy of dd-trace.
    expect(reported.version.split('.')[0]).toBe(major);
    expect(reported.packages).toEqual([pkg]);

    // The request's spans (the call in, the route, a span of the handler's own, the call out), one
    // trace, sent at shutdown. HTTP spans are named as Datadog names them: an operation per kind,
    // the route in the resource; the handler's span keeps its name as both.
    const route = serverSpan('GET /orders/:id');
    const spans = all.filter((s) => s.trace_id === route.trace_id);
    const names = spans.map((s) => `${s.meta['span.kind']} ${s.name} | ${s.resource}`).sort();
    expect(names).toEqual([
      'client http.client.request | GET',
      'client http.client.request | GET',
      'internal price-order | price-order',
      'server http.server.request | GET /orders/:id',
    ]);
    const out = spans.find((s) => s.parent_id === route.span_id && s.meta['span.kind'] === 'client')!;
    expect(out.meta['url.full']).toMatch(/\/stock$/);
    for (const s of all) {
      expect(s).toMatchObject({
        service: 'checkout',
        meta: { env: 'prod', version: '1.4.2', team: 'payments' },
      });
      // The span type dd-trace's own HTTP plugins give, from which Datadog types the service (web).
      const kind = s.meta['span.kind']!;
      expect(s.type, `${kind} ${s.resource}`).toBe({ server: 'web', client: 'http' }[kind]);
    }

    // The log line names the route's span; the call out carries the trace and its own span.
    const line = JSON.parse(reported.lines.find((l) => l.includes('order placed'))!) as Record<
      string,
      string
    >;
    expect(line).toMatchObject({ 'dd.trace_id': route.trace_id, 'dd.span_id': route.span_id });
    const stock = calls.filter((c) => c.path === '/stock');
    expect(stock).toHaveLength(1);
    expect(stock[0]!.headers.traceparent).toMatch(
      new RegExp(`^00-[0-9a-f]{16}${hex(out.trace_id)}-${hex(out.span_id)}-01$`),
    );
  });

  it("errors reach Datadog's error tracking with their type, message and stack", () => {
    for (const [resource, type, message] of [
      ['GET /orders/:id/refund', 'TypeError', 'refund window closed'],
      ['GET /carts/:id', 'RangeError', 'cart expired'],
    ]) {
      const span = serverSpan(resource!);
      expect(span.error, resource).toBe(1);
      expect(span.meta, resource).toMatchObject({ 'error.type': type, 'error.message': message });
      expect(span.meta['error.stack'], resource).toMatch(new RegExp(`^${type}: ${message}\\n`));
    }
    const stock = serverSpan('GET /stock');
    const refused = run.spans.find((s) => s.parent_id === stock.span_id)!;
    expect(refused.error).toBe(1);
    expect(refused.meta['error.type']).toBe('ECONNREFUSED');
    expect(refused.meta['error.message']).toMatch(/^connect ECONNREFUSED /);
    expect(stock.error).toBe(0);
  });

  it("continues an upstream service's trace from its Datadog headers or its W3C ones, as DD_TRACE_PROPAGATION_STYLE says", () => {
    // Datadog headers (dd-trace's default style reads them before W3C's): the trace, its parent
    // and its sampling decision go on, and the call out sends them on.
    const fromDatadog = serverSpanIn('1234567890123456789');
    expect(fromDatadog).toMatchObject({ resource: 'GET /handoff', parent_id: '987654321' });
    expect(fromDatadog.metrics).toMatchObject({ _sampling_priority_v1: 2 });
    const reserve = run.calls.filter((c) => c.path === '/reserve');
    expect(reserve[0]!.headers).toMatchObject({
      'x-datadog-trace-id': '1234567890123456789',
      'x-datadog-sampling-priority': '2',
    });
    // A W3C 128-bit trace id: Datadog gets its high half (_dd.p.tid) with the low one.
    const fromW3c = serverSpanIn(BigInt('0xa3ce929d0e0e4736').toString());
    expect(fromW3c.meta['_dd.p.tid']).toBe('4bf92f3577b34da6');
    // With the caller's random trace-id flag beside the sampled one.
    expect(reserve[1]!.headers.traceparent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-03$/);
    // The upstream's baggage goes on with the trace, and without one, also beside a traceparent
    // the call was made with, which stays.
    const baggage = ['tenant=acme,region=eu', 'tenant=globex', 'tenant=initech'];
    expect(reserve.map((c) => c.headers.baggage)).toEqual(baggage);
    const relay = run.calls.filter((c) => c.path === '/relay');
    expect(relay.map((c) => c.headers.baggage)).toEqual(baggage);
    for (const c of relay) {
      expect(c.headers.traceparent).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
      expect(c.headers['x-datadog-trace-id']).toBeUndefined();
    }
  });
});
