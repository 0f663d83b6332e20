import { execFile, spawn } from 'node:child_process';
import http, { createServer, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import vm from 'node:vm';
import { context, propagation, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import { hrTimeToMilliseconds, suppressTracing, TraceState } from '@opentelemetry/core';
import {
  Agent,
  Client,
  type Dispatcher,
  interceptors,
  RetryAgent,
  fetch as undiciFetch,
  request as undiciRequest,
} from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { init } from '../../src/index.js';
import { installOutboundHttp } from '../../src/integrations/outbound/index.js';
import { memoryExporter } from '../../src/testing/index.js';
import { close, eventually, listen } from './helpers/http-client.js';
import { durationPoint, exceptionOf, waitForSpans } from './helpers/telemetry.js';

// Counts the traceparents sightline has OpenTelemetry's parser read, which it leaves as it is.
const parsedTraceparents = vi.hoisted(() => ({ count: 0 }));
vi.mock('@opentelemetry/core', async (importOriginal) => {
  const core = await importOriginal<typeof import('@opentelemetry/core')>();
  return {
    ...core,
    parseTraceParent: (value: string) => {
      parsedTraceparents.count++;
      return core.parseTraceParent(value);
    },
  };
});

const memory = memoryExporter();
const obs = init({
  service: 'outbound-test',
  exporters: [memory],
  outbound: false,
  anomaly: false,
  handleSignals: false,
  logStream: { write: () => {} },
});

// The peer: a plain loopback server that remembers the headers it received.
const received: IncomingHttpHeaders[] = [];
/** The paths under /unavailable-once/ the peer has answered 503 to. */
const unavailable = new Set<string>();
/** How long the peer took between the two parts of a body it sends in two, in ms. */
let bodyTook = 0;
const peer = createServer((req, res) => {
  received.push(req.headers);
  if (req.url === '/slow-body' || req.url === '/cut-body') {
    // The headers and a first part now, the rest (or a cut connection) a moment later.
    res.writeHead(200, { 'content-length': '10' });
    res.write('first');
    const headersSentAt = performance.now();
    setTimeout(() => {
      if (req.url === '/cut-body') return res.destroy();
      bodyTook = performance.now() - headersSentAt;
      res.end('-last');
    }, 100);
    return;
  }
  if (req.url === '/moved-large') {
    // More than fetch buffers of a body nobody reads: undici pauses the connection.
    res.writeHead(302, { location: '/moved-here' });
    res.end(Buffer.alloc(1024 * 1024, 'x'));
    return;
  }
  if (req.url === '/moved') {
    res.writeHead(302, { location: '/moved-here' });
    res.end();
    return;
  }
  if (req.url?.startsWith('/unavailable-once/') && !unavailable.has(req.url)) {
    unavailable.add(req.url);
    res.statusCode = 503;
    return res.end('try again');
  }
  if (req.url === '/unanswered') return;
  if (req.url === '/hung-up') return req.socket.destroy();
  if (req.url === '/closing') res.setHeader('connection', 'close');
  res.statusCode = req.url?.startsWith('/fail') ? 500 : 200;
  res.end('ok');
});
// A WebSocket handshake: the server switches protocols, and node:http hands the socket over.
peer.on('upgrade', (req, socket) => {
  received.push(req.headers);
  socket.end('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
});
// Idle connections outlast a test, so a call left to end when its connection closes stays open.
peer.keepAliveTimeout = 60_000;
let base: string;
let uninstall: () => void;

function httpGet(url: string, headers?: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

const client = (s: { kind: SpanKind }) => s.kind === SpanKind.CLIENT;

/** A GET with node:http given its headers as a list, which Node writes out as it makes the request. */
function listedGet(url: string, headers: Record<string, string>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const list = ['host', '127.0.0.1', ...Object.entries(headers).flat()];
    http.get(url, { headers: list }, (res) => res.resume().on('end', resolve)).on('error', reject);
  });
}

/** A GET with undici's request given its headers as a flat list. */
async function undiciFlat(url: string, headers: Record<string, string>): Promise<void> {
  await (await undiciRequest(url, { headers: Object.entries(headers).flat() })).body.text();
}

/** Calls with a baggage of the caller's inside a context with baggage of its own: both are sent. */
async function expectBaggageAdded(
  call: (url: string, headers: Record<string, string>) => Promise<unknown>,
): Promise<void> {
  const withBaggage = propagation.setBaggage(
    context.active(),
    propagation.createBaggage({ tenant: { value: 'acme' } }),
  );
  await context.with(withBaggage, () => call(`${base}/baggage`, { baggage: 'mine=1;ttl=5' }));
  // Several baggage headers are one list: Node's server joins them with ', '.
  const entries = String(received[0]?.baggage)
    .split(',')
    .map((entry) => entry.trim());
  expect(entries).toEqual(['mine=1;ttl=5', 'tenant=acme']);
}

/**
 * Traceparents a W3C receiver ignores, starting a trace of its own: upper-case hex, version ff,
 * version 00 with more fields, an all-zero trace id, and two joined, as a proxy that adds its own
 * beside the caller's passes them on.
 */
const UNREADABLE = [
  `00-${'A'.repeat(32)}-${'b'.repeat(16)}-01`,
  `ff-${'a'.repeat(32)}-${'b'.repeat(16)}-01`,
  `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01-extra`,
  `00-${'0'.repeat(32)}-${'b'.repeat(16)}-01`,
  `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01, 00-${'c'.repeat(32)}-${'d'.repeat(16)}-01`,
];

/**
 * A traceparent the caller set that the service called would not read (a gateway passing on what
 * it was sent) gives way to the call's span, with its tracestate: kept, the trace split there.
 */
async function expectUnreadableReplaced(
  call: (url: string, headers: Record<string, string>) => Promise<unknown>,
  traceparent: string,
): Promise<void> {
  await obs.trace('parent', () => call(`${base}/unreadable`, { traceparent, tracestate: 'hand=1' }));
  const [span] = await waitForSpans(obs, memory, client);
  expect(received[0]?.traceparent).toBe(`00-${span!.spanContext().traceId}-${span!.spanContext().spanId}-03`);
  expect(received[0]?.tracestate).toBeUndefined();
}

/**
 * A baggage entry the caller set on the call is the one the service called reads: the context's of
 * the same name is left out, where sent after it, it would be read in its place (W3C receivers,
 * OpenTelemetry's and dd-trace's, keep the last of a name). So too for a value whose octets are not
 * UTF-8, as escape() encodes Latin-1 (Gl%F6bex), which receivers read with U+FFFD in their place.
 */
async function expectCallersEntryKept(
  call: (url: string, headers: Record<string, string>) => Promise<unknown>,
): Promise<void> {
  const withBaggage = propagation.setBaggage(
    context.active(),
    propagation.createBaggage({ tenant: { value: 'acme' }, region: { value: 'eu' } }),
  );
  for (const tenant of ['globex', 'Gl%F6bex']) {
    received.length = 0;
    const baggage = `mine=1, tenant=${tenant};ttl=5`;
    await context.with(withBaggage, () => call(`${base}/baggage`, { baggage }));
    const entries = String(received[0]?.baggage)
      .split(',')
      .map((entry) => entry.trim());
    expect(entries).toEqual(['mine=1', `tenant=${tenant};ttl=5`, 'region=eu']);
  }
}

beforeAll(async () => {
  base = await listen(peer);
  uninstall = installOutboundHttp(obs);
});
afterAll(async () => {
  uninstall();
  await close(peer);
  await obs.shutdown();
});
beforeEach(() => {
  memory.reset();
  received.length = 0;
});

describe.each([
  [
    'fetch',
    async (url: string, headers?: Record<string, string>) => {
      const response = await fetch(url, { headers });
      await response.text();
      return response.status;
    },
  ],
  ['node:http', httpGet],
])('outgoing calls with %s', (_name, call) => {
  it('makes a CLIENT span under the caller span and sends traceparent', async () => {
    const status = await obs.trace('parent', () => call(`${base}/items/1?api_key=s3cret`));
    expect(status).toBe(200);
    const [span] = await waitForSpans(obs, memory, client);
    const [parent] = await waitForSpans(obs, memory, (s) => s.name === 'parent');
    expect(span!.name).toBe('GET');
    expect(span!.parentSpanContext?.spanId).toBe(parent!.spanContext().spanId);
    expect(span!.spanContext().traceId).toBe(parent!.spanContext().traceId);
    expect(span!.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.full': `${base}/items/1`,
      'server.address': '127.0.0.1',
      'server.port': Number(new URL(base).port),
      'http.response.status_code': 200,
    });
    expect(JSON.stringify(span!.attributes)).not.toContain('s3cret');
    expect(received[0]?.traceparent).toBe(
      `00-${span!.spanContext().traceId}-${span!.spanContext().spanId}-03`,
    );
    const point = await durationPoint(obs, memory, 'http.client.request.duration', {
      'http.response.status_code': 200,
    });
    expect(point?.unit).toBe('s');
    expect(point?.attributes).toEqual({
      'http.request.method': 'GET',
      'server.address': '127.0.0.1',
      'server.port': Number(new URL(base).port),
      'http.response.status_code': 200,
    });
    expect((point?.value as { count: number } | undefined)?.count).toBeGreaterThan(0);
  });

  it('marks a 5xx answer failed', async () => {
    expect(await call(`${base}/fail`)).toBe(500);
    const [span] = await waitForSpans(obs, memory, client);
    expect(span!.attributes['error.type']).toBe('500');
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
    const point = await durationPoint(obs, memory, 'http.client.request.duration', {
      'http.response.status_code': 500,
      'error.type': '500',
    });
    expect((point?.value as { count: number } | undefined)?.count).toBeGreaterThan(0);
  });

  it('ends the span and measures the call when the body has been read, not when the headers arrive', async () => {
    await call(`${base}/slow-body`);
    const [span] = await waitForSpans(obs, memory, client);
    // The metric records the span's duration.
    expect(hrTimeToMilliseconds(span!.duration)).toBeGreaterThanOrEqual(bodyTook);
  });

  it('records a body cut short as a failed call', async () => {
    await expect(call(`${base}/cut-body`)).rejects.toThrow();
    const [span] = await waitForSpans(obs, memory, client);
    expect(span!.attributes['http.response.status_code']).toBe(200);
    expect(span!.attributes['error.type']).toBeDefined();
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('leaves calls made while tracing is suppressed alone', async () => {
    await context.with(suppressTracing(context.active()), () => call(`${base}/quiet`));
    await obs.trace('marker', () => undefined);
    await waitForSpans(obs, memory, (s) => s.name === 'marker');
    expect(memory.spans().filter(client)).toEqual([]);
    expect(received[0]?.traceparent).toBeUndefined();
  });

  it("leaves a Sentry SDK's uploads of its events alone", async () => {
    // Sentry's transport posts envelopes to its DSN's project, the key in the query.
    const envelope = '/api/42/envelope/?sentry_version=7&sentry_key=abc&sentry_client=sentry.javascript.node';
    await obs.trace('marker', () => call(`${base}${envelope}`));
    await waitForSpans(obs, memory, (s) => s.name === 'marker');
    expect(memory.spans().filter(client)).toEqual([]);
    expect(received[0]?.traceparent).toBeUndefined();
  });

  it('keeps a traceparent the caller set by hand', async () => {
    const hand = '00-11111111111111111111111111111111-2222222222222222-01';
    await call(`${base}/by-hand`, { traceparent: hand });
    expect(received[0]?.traceparent).toBe(hand);
  });

  it.each(UNREADABLE)(
    'sends its own traceparent in place of one the caller set that is unreadable: %s',
    async (tp) => {
      await expectUnreadableReplaced((url, headers) => call(url, headers), tp);
    },
  );

  it("keeps a traceparent the caller set in the caller's trace, naming a span of another tracer", async () => {
    // A request that came in with a traceparent, which dd-trace with its plugins on continues too:
    // its call out names its own CLIENT span, in the same trace.
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const upstream = trace.setSpanContext(context.active(), {
      traceId,
      spanId: '2222222222222222',
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
    });
    const ddTraceCall = `00-${traceId}-3333333333333333-01`;
    await context.with(upstream, () =>
      call(`${base}/by-hand-same-trace`, { traceparent: ddTraceCall, tracestate: 'dd=s:1' }),
    );
    expect(received[0]).toMatchObject({ traceparent: ddTraceCall, tracestate: 'dd=s:1' });
  });

  it("sends the context's baggage beside a traceparent and tracestate the caller set by hand", async () => {
    const hand = '00-11111111111111111111111111111111-2222222222222222-01';
    const withBaggage = propagation.setBaggage(
      context.active(),
      propagation.createBaggage({ tenant: { value: 'acme' } }),
    );
    await obs.trace('parent', () =>
      context.with(withBaggage, () =>
        call(`${base}/by-hand-baggage`, { traceparent: hand, tracestate: 'hand=1' }),
      ),
    );
    expect(received[0]).toMatchObject({ traceparent: hand, tracestate: 'hand=1', baggage: 'tenant=acme' });
  });

  it("adds the context's baggage to a baggage header the caller set", async () => {
    await expectBaggageAdded((url, headers) => call(url, headers));
  });

  it("sends a baggage entry the caller set in place of the context's of the same name", async () => {
    await expectCallersEntryKept((url, headers) => call(url, headers));
  });

  it.each([
    ['the tracestate of its traceparent', 'sl=from-parent', 'sl=from-parent'],
    ['no tracestate when its traceparent has none', undefined, undefined],
    // W3C Trace Context: receivers accept an empty tracestate, but it should not be sent.
    ['no tracestate when its traceparent came with none valid', 'Foo=1,bar =2', undefined],
  ])('sends %s, not one the caller set without a traceparent', async (_case, parentState, sent) => {
    const parent = trace.setSpanContext(context.active(), {
      traceId: '11111111111111111111111111111111',
      spanId: '2222222222222222',
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
      ...(parentState === undefined ? {} : { traceState: new TraceState(parentState) }),
    });
    await context.with(parent, () => call(`${base}/tracestate`, { tracestate: 'other=stale' }));
    const [span] = await waitForSpans(obs, memory, client);
    expect(received[0]?.traceparent).toBe(
      `00-${span!.spanContext().traceId}-${span!.spanContext().spanId}-01`,
    );
    expect(received[0]?.tracestate).toBe(sent);
  });
});

/**
 * Follows the redirects of a GET to `url` with node:http, setting each request the headers the one
 * before sent once it is made, and ending it at once or when it has its connection.
 */
function followCopyingHeaders(url: string, endOnceConnected: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const send = (target: string, headers: http.OutgoingHttpHeaders) => {
      const req = http.request(target, (res) => {
        res.resume();
        const location = res.headers.location;
        if (location === undefined) res.on('end', resolve);
        else res.on('end', () => send(new URL(location, target).href, req.getHeaders()));
      });
      req.on('error', reject);
      for (const [name, value] of Object.entries(headers)) {
        if (name !== 'host' && value !== undefined) req.setHeader(name, value);
      }
      if (endOnceConnected) req.on('socket', () => setImmediate(() => req.end()));
      else req.end();
    };
    send(url, { 'x-client': 'follows' });
  });
}

describe('fetch redirects', () => {
  it('ends the span of a redirect whose large body fetch leaves unread as it follows', async () => {
    const response = await obs.trace('parent', () => fetch(`${base}/moved-large`));
    expect(await response.text()).toBe('ok');
    const spans = await waitForSpans(obs, memory, client, 2);
    const [parent] = await waitForSpans(obs, memory, (s) => s.name === 'parent');
    const hops = spans.map((s) => [s.attributes['url.full'], s.attributes['http.response.status_code']]);
    expect(hops).toEqual(
      expect.arrayContaining([
        [`${base}/moved-large`, 302],
        [`${base}/moved-here`, 200],
      ]),
    );
    for (const span of spans) {
      expect(span.parentSpanContext?.spanId).toBe(parent!.spanContext().spanId);
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
    }
    const point = await durationPoint(obs, memory, 'http.client.request.duration', {
      'http.response.status_code': 302,
    });
    expect((point?.value as { count: number } | undefined)?.count).toBe(1);
  });

  it.each([
    ['fetch', (url: string) => fetch(url).then((r) => r.text())],
    [
      // As follow-redirects does: the next request is made with the options of the first.
      'node:http, followed with the same options',
      (url: string) =>
        new Promise<void>((resolve, reject) => {
          const options = { headers: { 'x-client': 'follows' } };
          const send = (target: string) =>
            http
              .get(target, options, (res) => {
                res.resume();
                const location = res.headers.location;
                if (location !== undefined) res.on('end', () => send(new URL(location, target).href));
                else res.on('end', resolve);
              })
              .on('error', reject);
          send(url);
        }),
    ],
    // As superagent does: the next request is set the headers the first one sent, once it is made.
    ['node:http, followed with the headers of the first', (url: string) => followCopyingHeaders(url, false)],
    [
      'node:http, followed with the headers of the first, ended once connected',
      (url: string) => followCopyingHeaders(url, true),
    ],
  ])(
    'sends each hop of a redirect followed with %s the traceparent of its own span',
    async (_name, follow) => {
      await obs.trace('parent', () => follow(`${base}/moved`));
      const spans = await waitForSpans(obs, memory, client, 2);
      const sentBy = (path: string) => {
        const span = spans.find((s) => s.attributes['url.full'] === `${base}${path}`);
        return `00-${span!.spanContext().traceId}-${span!.spanContext().spanId}-03`;
      };
      expect(received.map((h) => h.traceparent)).toEqual([sentBy('/moved'), sentBy('/moved-here')]);
      expect(new Set(spans.map((s) => s.spanContext().spanId)).size).toBe(2);
    },
  );

  it.each([false, true])(
    'sends each hop of a redirect followed with the headers of the first outside any span the traceparent of its own span (ended once connected: %s)',
    async (endOnceConnected) => {
      await followCopyingHeaders(`${base}/moved`, endOnceConnected);
      const spans = await waitForSpans(obs, memory, client, 2);
      const sentBy = (path: string) => {
        const span = spans.find((s) => s.attributes['url.full'] === `${base}${path}`);
        return `00-${span!.spanContext().traceId}-${span!.spanContext().spanId}-03`;
      };
      expect(received.map((h) => h.traceparent)).toEqual([sentBy('/moved'), sentBy('/moved-here')]);
    },
  );

  it("ends the span of a redirect returned to a caller who asked for it, with the answer's headers", async () => {
    const response = await fetch(`${base}/moved-large`, { redirect: 'manual' });
    expect(response.headers.get('location')).toBe('/moved-here');
    const [span] = await waitForSpans(obs, memory, client);
    expect(span!.attributes['http.response.status_code']).toBe(302);
    expect(span!.status.code).toBe(SpanStatusCode.UNSET);
    await response.body?.cancel();
  });
});

describe('undici (the package) retries and redirects', () => {
  const retry = { maxRetries: 1, minTimeout: 1, statusCodes: [503] };
  it.each([
    ['RetryAgent', () => new RetryAgent(new Agent({ connections: 1 }), retry), '/unavailable-once/agent'],
    [
      'interceptors.retry',
      () => new Agent({ connections: 1 }).compose(interceptors.retry(retry)),
      '/unavailable-once/interceptor',
    ],
    [
      'interceptors.redirect',
      () => new Agent({ connections: 1 }).compose(interceptors.redirect({ maxRedirections: 1 })),
      '/moved',
    ],
  ])(
    "puts each request of a call through %s under the caller's span, on a connection another call opened",
    async (_name, dispatcherOf: () => Dispatcher, path) => {
      const dispatcher = dispatcherOf();
      const call = async (url: string) => (await undiciRequest(url, { dispatcher })).body.text();
      // The connection, and the callbacks undici runs on it, belong to the call that opened it.
      await obs.trace('opener', () => call(`${base}/opens`));
      await obs.trace('caller', () => call(`${base}${path}`));
      await dispatcher.close();
      const spans = await waitForSpans(obs, memory, client, 3);
      const [caller] = await waitForSpans(obs, memory, (s) => s.name === 'caller');
      const parents = spans
        .filter((s) => s.attributes['url.full'] !== `${base}/opens`)
        .map((s) => s.parentSpanContext?.spanId);
      expect(parents).toEqual([caller!.spanContext().spanId, caller!.spanContext().spanId]);
    },
  );

  it('puts each call of a handler the caller dispatches again (one made at start-up) in its own trace', async () => {
    const dispatcher = new Agent({ connections: 1 });
    let answered: (() => void) | undefined;
    // One handler for every ping, made once: it keeps nothing of a call.
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart: () => {},
      onResponseStart: () => {},
      onResponseData: () => {},
      onResponseEnd: () => answered?.(),
      onResponseError: () => answered?.(),
    };
    const ping = () =>
      new Promise<void>((resolve) => {
        answered = resolve;
        dispatcher.dispatch({ origin: base, path: '/ping', method: 'GET' }, handler);
      });
    for (const name of ['first', 'second', 'third']) await obs.trace(name, ping);
    await dispatcher.close();
    const callers = await waitForSpans(obs, memory, (s) => s.kind === SpanKind.INTERNAL, 3);
    expect(received.map((h) => String(h.traceparent).split('-')[1])).toEqual(
      ['first', 'second', 'third'].map((name) => callers.find((s) => s.name === name)!.spanContext().traceId),
    );
  });
});

/**
 * Which of the requests of a call, made in a span after another call opened the connection, are
 * under that span and carry its trace: 'caller' for each, or 'other'.
 */
async function requestsOfCall(send: (url: string) => Promise<unknown>, origin: string, path: string) {
  await obs.trace('opener', () => send(`${origin}/opens`));
  await obs.trace('caller', () => send(`${origin}${path}`));
  const spans = await waitForSpans(obs, memory, client, 3);
  const [caller] = await waitForSpans(obs, memory, (s) => s.name === 'caller');
  const { traceId, spanId } = caller!.spanContext();
  const parents = spans
    .filter((s) => !String(s.attributes['url.full']).endsWith('/opens'))
    .map((s) => (s.parentSpanContext?.spanId === spanId ? 'caller' : 'other'));
  const traces = received
    .slice(1)
    .map((h) => (String(h.traceparent).split('-')[1] === traceId ? 'caller' : 'other'));
  return { parents, traces };
}

const UNDER_CALLER = { parents: ['caller', 'caller'], traces: ['caller', 'caller'] };

describe.each([
  [
    'request',
    (url: string, dispatcher: Dispatcher) => undiciRequest(url, { dispatcher }).then((r) => r.body.text()),
  ],
  ['fetch', (url: string, dispatcher: Dispatcher) => undiciFetch(url, { dispatcher }).then((r) => r.text())],
])("undici's %s through an interceptor composed inside a retry or a redirect", (api, send) => {
  const retry = { maxRetries: 1, minTimeout: 1, statusCodes: [503] };
  const agent = () => new Agent({ connections: 1 });
  // By name, so the dns interceptor looks it up.
  const origin = () => base.replace('127.0.0.1', 'localhost');
  const dns = () => interceptors.dns({ dualStack: false, affinity: 4 });
  it.each([
    [
      'decompress, retry',
      () => agent().compose(interceptors.decompress(), interceptors.retry(retry)),
      'retry',
    ],
    ['dns, retry', () => agent().compose(dns(), interceptors.retry(retry)), 'retry'],
    [
      'RetryAgent over decompress',
      () => new RetryAgent(agent().compose(interceptors.decompress()), retry),
      'retry',
    ],
    [
      'dump, redirect',
      () => agent().compose(interceptors.dump(), interceptors.redirect({ maxRedirections: 1 })),
      '',
    ],
    ['dns, redirect', () => agent().compose(dns(), interceptors.redirect({ maxRedirections: 1 })), ''],
  ])("%s: puts each request under the caller's span, in its trace", async (name, dispatcherOf, retried) => {
    const dispatcher = dispatcherOf();
    const path = retried ? `/unavailable-once/${api} ${name}` : '/moved';
    const requests = await requestsOfCall(
      (url) => send(url, dispatcher),
      origin(),
      path.replaceAll(' ', '-'),
    );
    await dispatcher.close();
    expect(requests).toEqual(UNDER_CALLER);
  });
});

/** Expects the span of the call to `path` under the span named `name`. */
async function expectUnder(path: string, name: string): Promise<void> {
  const [call] = await waitForSpans(obs, memory, (s) => s.attributes['url.full'] === `${base}${path}`);
  const [span] = await waitForSpans(obs, memory, (s) => s.name === name);
  expect(call!.parentSpanContext?.spanId).toBe(span!.spanContext().spanId);
}

it.each([
  [
    'retry',
    () => interceptors.retry({ maxRetries: 1, minTimeout: 1, statusCodes: [503] }),
    '/unavailable-once/quiet',
  ],
  ['redirect', () => interceptors.redirect({ maxRedirections: 1 }), '/moved'],
])(
  'leaves the requests of a call made while tracing is suppressed alone, through %s on a connection another call opened',
  async (_name, interceptor, path) => {
    const dispatcher = new Agent({ connections: 1 }).compose(interceptor());
    const send = (url: string) => undiciRequest(url, { dispatcher }).then((r) => r.body.text());
    await obs.trace('opener', () => send(`${base}/opens`));
    await context.with(suppressTracing(context.active()), () => send(`${base}${path}`));
    await dispatcher.close();
    await waitForSpans(obs, memory, (s) => s.name === 'opener');
    expect(memory.spans().filter(client)).toHaveLength(1);
    expect(received.slice(1).map((h) => h.traceparent)).toEqual([undefined, undefined]);
  },
);

it("puts a call made in a span started while undici hands a failed call's answer over under that span", async () => {
  const dispatcher = new Agent({ connections: 1 });
  await obs.trace('opener', () => undiciRequest(`${base}/opens`, { dispatcher }).then((r) => r.body.text()));
  let chosen: Promise<unknown> | undefined;
  await obs.trace(
    'caller',
    () =>
      new Promise<void>((resolve, reject) => {
        dispatcher.dispatch(
          { origin: base, path: '/fail', method: 'GET' },
          {
            onRequestStart: () => {},
            // Run by undici in the context of the call that opened the connection.
            onResponseStart: () => {
              chosen = obs.trace('chosen', () =>
                undiciRequest(`${base}/chosen`, { dispatcher }).then((r) => r.body.text()),
              );
            },
            onResponseData: () => {},
            onResponseEnd: () => resolve(),
            onResponseError: (_controller, error) => reject(error),
          },
        );
      }),
  );
  await chosen;
  await dispatcher.close();
  await expectUnder('/chosen', 'chosen');
});

it.each([
  ['no reason', () => undefined],
  ['an error of its own', () => new Error('superseded')],
  ['a timeout', () => new DOMException('timed out', 'TimeoutError')],
])(
  "puts a call made right after aborting another trace's call (%s) under its own span",
  async (_reason, reasonOf) => {
    const dispatcher = new Agent();
    const abort = new AbortController();
    const aborted = obs.trace('caller', () =>
      undiciRequest(`${base}/unanswered`, { dispatcher, signal: abort.signal }).catch(() => {}),
    );
    await eventually(() => received.length === 1);
    await obs.trace('aborter', () => {
      abort.abort(reasonOf());
      return undiciRequest(`${base}/after`, { dispatcher }).then((r) => r.body.text());
    });
    await aborted;
    await dispatcher.close();
    await expectUnder('/after', 'aborter');
  },
);

it("puts a call made right after destroying, with an error, a client other traces' calls wait on under its own span", async () => {
  const client = new Client(base);
  const waiting = ['caller', 'queued'].map((name) =>
    obs.trace(name, () => undiciRequest(`${base}/unanswered`, { dispatcher: client }).catch(() => {})),
  );
  await eventually(() => received.length === 1);
  const other = new Agent();
  await obs.trace('destroyer', () => {
    client.destroy(new Error('shutting down'));
    return undiciRequest(`${base}/after`, { dispatcher: other }).then((r) => r.body.text());
  });
  await Promise.all(waiting);
  await other.close();
  await expectUnder('/after', 'destroyer');
});

it("puts the request the dns interceptor sends to a name's other address under its own call's span", async () => {
  // The name is at ::1, where nothing listens, and at 127.0.0.1: a refused connection is tried again
  // at the other address, from the callback of the connection that one call opened for both.
  const lookup: NonNullable<Parameters<typeof interceptors.dns>[0]>['lookup'] = (_origin, _opts, done) =>
    done(null, [
      { address: '::1', family: 6, ttl: 60_000 },
      { address: '127.0.0.1', family: 4, ttl: 60_000 },
    ]);
  const dispatcher = new Agent({ connections: 1 }).compose(interceptors.dns({ affinity: 6, lookup }));
  const origin = base.replace('127.0.0.1', 'two-addresses.test');
  const send = (name: string) =>
    obs.trace(name, () => undiciRequest(`${origin}/${name}`, { dispatcher }).then((r) => r.body.text()));
  await Promise.all([send('first'), send('second')]);
  await dispatcher.close();
  const calls = await waitForSpans(obs, memory, (s) => s.kind === SpanKind.CLIENT && !s.status.code, 2);
  const callers = await waitForSpans(obs, memory, (s) => s.kind === SpanKind.INTERNAL, 2);
  for (const name of ['first', 'second']) {
    const call = calls.find((s) => String(s.attributes['url.full']).endsWith(`/${name}`));
    expect(call?.parentSpanContext?.spanId).toBe(callers.find((s) => s.name === name)!.spanContext().spanId);
  }
});

it("puts a retry sent from behind another interceptor under the caller's span where another SDK's context manager is the global one", async () => {
  const child = fileURLToPath(new URL('./outbound-foreign-context-child.ts', import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', child]);
  expect(JSON.parse(stdout)).toEqual(['caller', 'caller']);
});

it("puts a retry sent from behind another interceptor under the caller's span where another SDK's context manager took sightline's place after init()", async () => {
  const child = fileURLToPath(new URL('./outbound-foreign-context-child.ts', import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', child, 'after-init']);
  expect(JSON.parse(stdout)).toEqual(['caller', 'caller']);
});

// Node 22 keeps each AsyncLocalStorage's store under a key of its own on every promise and callback
// made once it is entered (Node 24 keeps them all in one frame, or one map with
// --no-async-context-frame): a storage of the package's, entered on a 503, slowed every await.
it.skipIf(Number(process.versions.node.split('.')[0]) >= 24)(
  "carries a call's answer to its handlers without a store on each promise the process makes after",
  async () => {
    const child = fileURLToPath(new URL('./outbound-answer-child.ts', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', child]);
    const { before, after } = JSON.parse(stdout) as { before: number; after: number };
    expect(before).toBeGreaterThan(0);
    expect(after).toBe(before);
  },
);

// Node 22's own undici (6.x) takes no handler of the package's interceptors; Node 24's (7.x) wraps
// each in one of its own that keeps it in a private field.
describe.skipIf(Number(process.versions.node.split('.')[0]) < 24)(
  "the global fetch through Node's own dispatcher with the package's interceptors",
  () => {
    const retry = () => interceptors.retry({ maxRetries: 1, minTimeout: 1, statusCodes: [503] });
    it.each([
      ['retry', () => [retry()]],
      ['retry, decompress', () => [retry(), interceptors.decompress()]],
    ])("%s: puts each request under the caller's span, in its trace", async (name, interceptorsOf) => {
      const node = (globalThis as Record<symbol, Dispatcher>)[Symbol.for('undici.globalDispatcher.1')]!;
      const dispatcher = node.compose(interceptorsOf());
      const send = async (url: string) => (await fetch(url, { dispatcher } as unknown as RequestInit)).text();
      const path = `/unavailable-once/global-${name.replaceAll(/\W+/g, '-')}`;
      expect(await requestsOfCall(send, base, path)).toEqual(UNDER_CALLER);
    });
  },
);

describe.each([
  ['ended at once', false],
  ['ended once connected', true],
])(
  "node:http trace headers set once the request is made (superagent's .set()), %s",
  (_name, endOnceConnected) => {
    /**
     * A GET whose headers are set after http.request() made it, as superagent sets every header; ended
     * at once its head is written out before its connection is there.
     */
    function setOnceMade(url: string, headers: Record<string, string>): Promise<void> {
      return new Promise((resolve, reject) => {
        const req = http.request(url, (res) => {
          res.resume();
          res.on('end', resolve);
        });
        req.on('error', reject);
        for (const [name, value] of Object.entries(headers)) req.setHeader(name, value);
        if (endOnceConnected) req.on('socket', () => setImmediate(() => req.end()));
        else req.end();
      });
    }

    it("adds the context's baggage to a baggage header the caller set", async () => {
      await expectBaggageAdded(setOnceMade);
    });

    it("sends a baggage entry the caller set in place of the context's of the same name", async () => {
      await expectCallersEntryKept(setOnceMade);
    });

    it("counts the context's baggage entries left out once, those past 180 and those beside the caller's", async () => {
      const entries = Object.fromEntries(Array.from({ length: 181 }, (_, i) => [`c${i}`, { value: '1' }]));
      const withBaggage = propagation.setBaggage(context.active(), propagation.createBaggage(entries));
      const before = obs.drops().baggage_limit ?? 0;
      await context.with(withBaggage, () => setOnceMade(`${base}/baggage`, { baggage: 'mine=1' }));
      const sent = String(received[0]?.baggage).split(',');
      expect(sent).toHaveLength(180);
      expect(sent[0]).toBe('mine=1');
      // The context's last, past 180, and the one more beside the caller's.
      expect((obs.drops().baggage_limit ?? 0) - before).toBe(2);
    });

    it('sends the tracestate of its traceparent, not one the caller set without a traceparent', async () => {
      const parent = trace.setSpanContext(context.active(), {
        traceId: '11111111111111111111111111111111',
        spanId: '2222222222222222',
        traceFlags: TraceFlags.SAMPLED,
        isRemote: true,
        traceState: new TraceState('sl=from-parent'),
      });
      await context.with(parent, () => setOnceMade(`${base}/tracestate`, { tracestate: 'other=stale' }));
      const [span] = await waitForSpans(obs, memory, client);
      expect(received[0]?.traceparent).toBe(
        `00-${span!.spanContext().traceId}-${span!.spanContext().spanId}-01`,
      );
      expect(received[0]?.tracestate).toBe('sl=from-parent');
    });

    it('keeps a traceparent and tracestate the caller set together', async () => {
      const hand = '00-11111111111111111111111111111111-2222222222222222-01';
      await setOnceMade(`${base}/by-hand`, { traceparent: hand, tracestate: 'hand=1' });
      expect(received[0]).toMatchObject({ traceparent: hand, tracestate: 'hand=1' });
    });

    it.each(UNREADABLE)(
      'sends its own traceparent in place of one the caller set that is unreadable: %s',
      async (tp) => {
        await expectUnreadableReplaced(setOnceMade, tp);
      },
    );
  },
);

describe('node:http calls made without a traceparent', () => {
  it('do not have the traceparent sightline set on them parsed again as they get a connection', async () => {
    parsedTraceparents.count = 0;
    await obs.trace('parent', async () => {
      for (let i = 0; i < 5; i++) await httpGet(`${base}/items`);
    });
    expect(received.map((headers) => headers.traceparent)).toEqual([
      expect.stringMatching(/^00-/),
      expect.stringMatching(/^00-/),
      expect.stringMatching(/^00-/),
      expect.stringMatching(/^00-/),
      expect.stringMatching(/^00-/),
    ]);
    expect(parsedTraceparents.count).toBe(0);
  });
});

describe('node:http calls whose body the caller never reads', () => {
  /** Sends a request and resolves with its status, never reading the response. */
  function unread(url: string, method: string): Promise<number | undefined> {
    return new Promise((resolve, reject) => {
      http
        .request(url, { method }, (res) => resolve(res.statusCode))
        .on('error', reject)
        .end();
    });
  }

  it('ends the span of a response without a body (a HEAD) when its headers arrive', async () => {
    expect(await unread(`${base}/exists`, 'HEAD')).toBe(200);
    const [span] = await waitForSpans(obs, memory, client);
    expect(span!.attributes['http.response.status_code']).toBe(200);
    expect(span!.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('ends the span, answered, when the connection closes', async () => {
    expect(await unread(`${base}/closing`, 'GET')).toBe(200);
    const [span] = await waitForSpans(obs, memory, client);
    expect(span!.attributes['http.response.status_code']).toBe(200);
    expect(span!.attributes['error.type']).toBeUndefined();
    expect(span!.status.code).toBe(SpanStatusCode.UNSET);
  });
});

describe('outgoing call failures and installation', () => {
  it('ends the span with the error type on a refused connection (node:http)', async () => {
    // A port that was just free: the connection is refused.
    const probe = createServer();
    const url = await listen(probe);
    await close(probe);
    await expect(httpGet(`${url}/x`)).rejects.toThrow();
    const [span] = await waitForSpans(obs, memory, client);
    expect(span!.attributes['error.type']).toBe('ECONNREFUSED');
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
    const point = await durationPoint(obs, memory, 'http.client.request.duration', {
      'error.type': 'ECONNREFUSED',
    });
    expect(point?.attributes['http.response.status_code']).toBeUndefined();
    expect((point?.value as { count: number } | undefined)?.count).toBeGreaterThan(0);
  });

  it.each([
    // node-fetch on an abort, superagent on its timeout
    ['aborts', (req: http.ClientRequest) => req.abort()],
    // got on an upload that fails
    ['destroys', (req: http.ClientRequest) => req.destroy()],
  ])(
    'records a node:http call the caller %s before the answer as aborted, not as reset by the server',
    async (_case, stop) => {
      const req = http.get(`${base}/unanswered`);
      req.on('error', () => {});
      await eventually(() => received.length > 0);
      stop(req);
      const [span] = await waitForSpans(obs, memory, client);
      expect(span!.attributes['error.type']).toBe('AbortError');
      expect(span!.status.code).toBe(SpanStatusCode.ERROR);
    },
  );

  it('records a node:http call the caller aborts while its body comes as aborted, not as reset by the server', async () => {
    await new Promise<void>((resolve) => {
      const req = http.get(`${base}/slow-body`, (res) => {
        res.on('error', () => {});
        res.once('data', () => req.abort());
        res.on('close', resolve);
      });
      req.on('error', () => {});
    });
    const [span] = await waitForSpans(obs, memory, client);
    expect(span!.attributes['http.response.status_code']).toBe(200);
    expect(span!.attributes['error.type']).toBe('AbortError');
  });

  it('records the exception of a fetch aborted or timed out by its name, as its error.type, not by its legacy code', async () => {
    const aborting = new AbortController();
    const aborted = fetch(`${base}/unanswered`, { signal: aborting.signal });
    await eventually(() => received.length > 0);
    aborting.abort();
    await expect(aborted).rejects.toThrow();
    await expect(fetch(`${base}/unanswered`, { signal: AbortSignal.timeout(50) })).rejects.toThrow();
    const spans = await waitForSpans(obs, memory, client, 2);
    expect(spans.map((s) => [s.attributes['error.type'], exceptionOf(s)[0]])).toEqual([
      ['AbortError', 'AbortError'],
      ['TimeoutError', 'TimeoutError'],
    ]);
  });

  it('records the exception of a node:http call destroyed with an error of another realm, by its type and stack', async () => {
    // What a request given a vm sandbox's error to fail with reports.
    const foreign = vm.runInNewContext(
      '(() => { const e = new RangeError("quota spent"); e.code = "E_QUOTA"; return e; })()',
    );
    const req = http.get(`${base}/unanswered`);
    req.on('error', () => {});
    await eventually(() => received.length > 0);
    req.destroy(foreign);
    const [span] = await waitForSpans(obs, memory, client);
    expect(span!.attributes['error.type']).toBe('E_QUOTA');
    expect(exceptionOf(span!)).toEqual(['E_QUOTA', 'quota spent', 'RangeError: quota spent']);
  });

  it('records a node:http call whose connection the server drops before the answer as reset', async () => {
    await expect(httpGet(`${base}/hung-up`)).rejects.toThrow('socket hang up');
    const [span] = await waitForSpans(obs, memory, client);
    expect(span!.attributes['error.type']).toBe('ECONNRESET');
  });

  it('records a WebSocket handshake (node:http upgrade) as answered with 101, not as aborted', async () => {
    await new Promise<void>((resolve, reject) => {
      http
        .request(`${base}/socket`, { headers: { connection: 'Upgrade', upgrade: 'websocket' } })
        .on('upgrade', (_res, socket) => {
          socket.destroy();
          resolve();
        })
        .on('error', reject)
        .end();
    });
    const [span] = await waitForSpans(obs, memory, client);
    expect(received[0]?.traceparent).toBe(
      `00-${span!.spanContext().traceId}-${span!.spanContext().spanId}-03`,
    );
    expect(span!.attributes['http.response.status_code']).toBe(101);
    expect(span!.attributes['error.type']).toBeUndefined();
    expect(span!.status.code).toBe(SpanStatusCode.UNSET);
  });

  it.each([
    ['that expects 100-continue', { expect: '100-continue', tracestate: 'other=stale' }],
    // A list is sent as given: no Host is added.
    ['whose headers are given as a list', ['host', '127.0.0.1', 'tracestate', 'other=stale']],
  ])(
    'sends traceparent with a node:http request %s, whose headers Node writes out when it is made',
    async (_case, headers) => {
      const status = await obs.trace(
        'parent',
        () =>
          new Promise<number>((resolve, reject) => {
            const req = http.request(`${base}/upload`, { method: 'POST', headers }, (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode ?? 0));
            });
            req.on('error', reject);
            if (Array.isArray(headers)) req.end('stock');
            else req.on('continue', () => req.end('stock'));
          }),
      );
      expect(status).toBe(200);
      const [span] = await waitForSpans(obs, memory, client);
      expect(span!.attributes['http.response.status_code']).toBe(200);
      expect(received[0]?.traceparent).toBe(
        `00-${span!.spanContext().traceId}-${span!.spanContext().spanId}-03`,
      );
      expect(received[0]?.tracestate).toBeUndefined();
    },
  );

  it('keeps a traceparent and baggage the caller gave in a list of headers', async () => {
    const hand = '00-11111111111111111111111111111111-2222222222222222-01';
    const withBaggage = propagation.setBaggage(
      context.active(),
      propagation.createBaggage({ tenant: { value: 'acme' } }),
    );
    await context.with(
      withBaggage,
      () =>
        new Promise<void>((resolve, reject) => {
          const headers = [
            'host',
            '127.0.0.1',
            'traceparent',
            hand,
            'tracestate',
            'hand=1',
            'baggage',
            'mine=1',
          ];
          http
            .get(`${base}/listed`, { headers }, (res) => res.resume().on('end', resolve))
            .on('error', reject);
        }),
    );
    expect(received[0]).toMatchObject({ traceparent: hand, tracestate: 'hand=1' });
    expect(String(received[0]?.baggage).split(/,\s*/)).toEqual(['mine=1', 'tenant=acme']);
  });

  it.each([
    ['a node:http request given its headers as a list', listedGet],
    ['an undici request given its headers as a flat list', undiciFlat],
  ])(
    "sends a baggage entry the caller set in place of the context's of the same name, by %s",
    async (_case, call) => {
      await expectCallersEntryKept(call);
    },
  );

  it.each(
    UNREADABLE.flatMap((tp) => [
      ['a node:http request given its headers as a list', tp, listedGet],
      ['an undici request given its headers as a flat list', tp, undiciFlat],
    ]),
  )(
    'sends its own traceparent in place of one the caller set that is unreadable, by %s: %s',
    async (_case, tp, call) => {
      await expectUnreadableReplaced(call as typeof listedGet, tp as string);
    },
  );

  it('names the target, not the proxy, of a node:http call sent through a forward proxy', async () => {
    // A proxy agent, or Node with NODE_USE_ENV_PROXY, sends the proxy the absolute URL.
    const proxy = new URL(base);
    await new Promise<void>((resolve, reject) => {
      http
        .get(
          {
            host: proxy.hostname,
            port: proxy.port,
            path: 'http://inventory.internal:8080/items/9?token=s3cret',
            headers: { host: 'inventory.internal:8080' },
          },
          (res) => res.resume().on('end', resolve),
        )
        .on('error', reject);
    });
    const [span] = await waitForSpans(obs, memory, client);
    expect(span!.attributes).toMatchObject({
      'url.full': 'http://inventory.internal:8080/items/9',
      'server.address': 'inventory.internal',
      'server.port': 8080,
    });
  });

  it('names the target, not the proxy, of a fetch sent through a forward proxy without a tunnel', async () => {
    // undici's ProxyAgent with proxyTunnel: false sends the proxy the absolute URL, from its origin.
    const agent = (globalThis as Record<symbol, unknown>)[Symbol.for('undici.globalDispatcher.1')] as {
      dispatch(options: { origin: string; path: string }, handler: unknown): boolean;
    };
    const dispatcher = {
      dispatch: (options: { origin: string; path: string }, handler: unknown) =>
        agent.dispatch({ ...options, origin: base, path: options.origin + options.path }, handler),
    };
    // fetch takes any object that dispatches as undici's Dispatcher does.
    const init = { dispatcher } as unknown as RequestInit;
    const response = await fetch('http://inventory.internal:8080/items/9?token=s3cret', init);
    expect(await response.text()).toBe('ok');
    const [span] = await waitForSpans(obs, memory, client);
    expect(span!.attributes).toMatchObject({
      'url.full': 'http://inventory.internal:8080/items/9',
      'server.address': 'inventory.internal',
      'server.port': 8080,
    });
  });

  it("names the tunnel's target of a CONNECT a proxy agent sends with node:http (tunnel, hpagent)", async () => {
    const proxy = createServer((_req, res) => res.writeHead(405).end());
    proxy.on('connect', (_req, socket) => socket.end('HTTP/1.1 200 Connection Established\r\n\r\n'));
    const proxyUrl = new URL(await listen(proxy));
    await new Promise<void>((resolve, reject) => {
      // As tunnel and hpagent send it: the target in the path and in the Host header.
      http
        .request({
          host: proxyUrl.hostname,
          port: proxyUrl.port,
          method: 'CONNECT',
          path: 'inventory.internal:8443',
          headers: { host: 'inventory.internal:8443' },
          agent: false,
        })
        .on('connect', (_res, socket) => {
          socket.destroy();
          resolve();
        })
        .on('error', reject)
        .end();
    });
    await close(proxy);
    const [span] = await waitForSpans(obs, memory, client);
    expect(span!.name).toBe('CONNECT');
    expect(span!.attributes).toMatchObject({
      'url.full': 'http://inventory.internal:8443',
      'server.address': 'inventory.internal',
      'server.port': 8443,
      'http.response.status_code': 200,
    });
  });

  it("ends the span of a fetch sent through a proxy's tunnel, which opens no span of its own", async () => {
    // The proxy: answers a CONNECT by piping the connection to the host it names.
    const tunnels: IncomingHttpHeaders[] = [];
    const proxy = createServer((_req, res) => res.writeHead(405).end());
    proxy.on('connect', (req, socket, head) => {
      tunnels.push(req.headers);
      const [host, port] = String(req.url).split(':');
      const upstream = connect(Number(port), host, () => {
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(socket).pipe(upstream);
      });
    });
    const proxyUrl = await listen(proxy);
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        fileURLToPath(new URL('./outbound-proxy-child.ts', import.meta.url)),
        `${base}/stock`,
      ],
      {
        // undici reads the lower-case names first.
        env: {
          ...process.env,
          NODE_USE_ENV_PROXY: '1',
          HTTP_PROXY: proxyUrl,
          http_proxy: proxyUrl,
          NO_PROXY: '',
          no_proxy: '',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let stdout = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    await new Promise((resolve) => child.on('exit', resolve));
    await close(proxy);

    const report = JSON.parse(stdout) as { open: string[]; clients: Array<Record<string, string>> };
    expect(tunnels).toHaveLength(1);
    expect(report.open).toEqual([]);
    expect(report.clients).toEqual([{ name: 'GET', url: `${base}/stock`, spanId: expect.any(String) }]);
    // The service behind the proxy continues the trace under the call's span.
    expect(received[0]?.traceparent).toContain(report.clients[0]!.spanId);
    expect(tunnels[0]?.traceparent).toBeUndefined();
  });

  it("sends the caller's traceparent with a WebSocket handshake (fetch), which gets no span of its own", async () => {
    await obs.trace(
      'parent',
      () =>
        new Promise<void>((resolve) => {
          const socket = new WebSocket(`${base.replace('http', 'ws')}/feed`);
          socket.onopen = () => resolve();
          socket.onerror = () => resolve();
        }),
    );
    const [parent] = await waitForSpans(obs, memory, (s) => s.name === 'parent');
    expect(received[0]?.traceparent).toBe(
      `00-${parent!.spanContext().traceId}-${parent!.spanContext().spanId}-03`,
    );
    expect(memory.spans().filter(client)).toEqual([]);
  });

  it('puts the call of a request builder that sends when awaited (superagent) under the span obs.trace returns it from', async () => {
    // superagent's request, like a knex query: nothing is sent until its then is called.
    const builder = (url: string) => ({
      // biome-ignore lint/suspicious/noThenProperty: a thenable is what this test is about.
      then: (resolve: (status: number) => unknown, reject: (error: unknown) => unknown) =>
        httpGet(url).then(resolve, reject),
    });
    expect(await obs.trace('parent', () => builder(`${base}/lazy`))).toBe(200);
    const [span] = await waitForSpans(obs, memory, client);
    const [parent] = await waitForSpans(obs, memory, (s) => s.name === 'parent');
    expect(span!.parentSpanContext?.spanId).toBe(parent!.spanContext().spanId);
    expect(received[0]?.traceparent).toContain(parent!.spanContext().traceId);
  });

  it('is idempotent and uninstalls cleanly', async () => {
    expect(installOutboundHttp(obs)).toBe(uninstall);
    uninstall();
    await fetch(`${base}/after`).then((r) => r.text());
    await httpGet(`${base}/after`);
    await obs.trace('marker', () => undefined);
    await waitForSpans(obs, memory, (s) => s.name === 'marker');
    expect(memory.spans().filter(client)).toEqual([]);
    expect(received.every((h) => h.traceparent === undefined)).toBe(true);
    uninstall = installOutboundHttp(obs);
  });
});
