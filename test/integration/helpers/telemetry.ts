import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-node';
import type { Sightline } from '../../../src/api/types.js';
import type { MemoryExporter, MemoryMetricPoint } from '../../../src/testing/index.js';
import {
  type heldRequests,
  leftAfterFirstChunk,
  openWebSocket,
  pipelinedThenGone,
  request,
  webSocketSession,
} from './http-client.js';

/** The span's exception event as its type, message and the first line of its stack. */
export function exceptionOf(span: ReadableSpan): [unknown, unknown, string | undefined] {
  const exception = span.events.find((e) => e.name === 'exception')?.attributes ?? {};
  const stack = exception['exception.stacktrace'];
  return [
    exception['exception.type'],
    exception['exception.message'],
    typeof stack === 'string' ? stack.split('\n')[0] : undefined,
  ];
}

/** Polls (flushing each time) until `count` spans match. */
export async function waitForSpans(
  obs: Sightline,
  memory: MemoryExporter,
  filter: (span: ReadableSpan) => boolean,
  count = 1,
): Promise<ReadableSpan[]> {
  for (let i = 0; i < 200; i++) {
    await obs.forceFlush();
    const found = memory.spans().filter(filter);
    if (found.length >= count) return found;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`expected ${count} matching spans, got ${memory.spans().filter(filter).length}`);
}

/** The duration histogram point for a route, after a flush. */
export async function durationPoint(
  obs: Sightline,
  memory: MemoryExporter,
  name: string,
  match: Record<string, unknown>,
): Promise<MemoryMetricPoint | undefined> {
  await obs.forceFlush();
  return memory
    .metrics()
    .find((p) => p.name === name && Object.entries(match).every(([k, v]) => p.attributes[k] === v));
}

/**
 * What the client got for a failed request (status, and its body as `body` reads it), and what
 * its SERVER span, duration point and access line say of it: the span's status and error.type,
 * its exception events, then the point's and line's error.type.
 */
export async function erroredRequest(
  obs: Sightline,
  memory: MemoryExporter,
  base: string,
  path: string,
  body = (text: string): unknown => text,
) {
  const reply = await request(base, path);
  const [span] = await waitForSpans(
    obs,
    memory,
    (s) => s.kind === SpanKind.SERVER && s.attributes['url.path'] === path,
  );
  const point = await durationPoint(obs, memory, 'http.server.request.duration', { 'http.route': path });
  const line = memory.logs().find((l) => l.path === path && l.duration_ms !== undefined);
  return [
    path,
    reply.status,
    body(reply.body),
    span!.attributes['http.response.status_code'],
    span!.attributes['error.type'],
    span!.events.filter((e) => e.name === 'exception').map((e) => e.attributes?.['exception.type']),
    point?.attributes['error.type'],
    line?.error_type,
  ];
}

/**
 * The name and error.type of the SERVER spans whose path starts with `prefix`, once `count` have
 * ended, and the requests http.server.active_requests counts in flight then, all methods together.
 */
export async function endedRequests(
  obs: Sightline,
  memory: MemoryExporter,
  prefix: string,
  count: number,
): Promise<{ spans: unknown[][]; active: number }> {
  const spans = await waitForSpans(
    obs,
    memory,
    (s) => String(s.attributes['url.path']).startsWith(prefix),
    count,
  );
  return {
    spans: spans.map((s) => [s.name, s.attributes['error.type']]),
    active: await activeRequests(obs, memory),
  };
}

/** The requests http.server.active_requests counts in flight, all methods together, after a flush. */
export async function activeRequests(obs: Sightline, memory: MemoryExporter): Promise<number> {
  await obs.forceFlush();
  return memory
    .metrics()
    .filter((p) => p.name === 'http.server.active_requests')
    .reduce((sum, p) => sum + (p.value as number), 0);
}

/**
 * Opens a WebSocket on `path` and returns the answer to its handshake, the requests active and the
 * SERVER spans ended on `route` while the session is open, and the requests active once it closed.
 */
export async function activeDuringWebSocketSession(
  obs: Sightline,
  memory: MemoryExporter,
  base: string,
  path: string,
  route: string,
) {
  const onRoute = (s: ReadableSpan) => s.kind === SpanKind.SERVER && s.attributes['http.route'] === route;
  const session = await openWebSocket(base, path);
  const whileOpen = {
    active: await activeRequests(obs, memory),
    ended: memory.spans().filter(onRoute).length,
  };
  await session.end();
  await waitForSpans(obs, memory, onRoute);
  return { answer: session.answer, whileOpen, afterClose: await activeRequests(obs, memory) };
}

/**
 * Sends a GET, a POST with a body and a GET to `/queued/:n` (a `held` route) pipelined on one
 * connection, drops it once they have all come, and returns how they ended (see endedRequests).
 */
export async function droppedPipeline(
  obs: Sightline,
  memory: MemoryExporter,
  base: string,
  held: ReturnType<typeof heldRequests>,
): Promise<{ spans: unknown[][]; active: number }> {
  // The POST's body is read while its answer waits: Node 22 closes its request then.
  await pipelinedThenGone(base, ['GET /queued/1', 'POST /queued/2', 'GET /queued/3'], held.reached(3));
  return endedRequests(obs, memory, '/queued/', 3);
}

/**
 * Opens two WebSockets on `path`, one the client closes and one the app does (its handler closes
 * a session whose URL has `bye`), and returns how they were recorded under the route `route`:
 * the answer to the first handshake; the name, status, status code and error.type of their SERVER
 * spans; the level, status and error_type of their access-log lines; the requests still active;
 * whether the route's request latency has them; and the attributes of their session duration.
 */
export async function closedWebSocketSessions(
  obs: Sightline,
  memory: MemoryExporter,
  base: string,
  path: string,
  route: string,
) {
  const answer = await webSocketSession(base, path);
  await webSocketSession(base, `${path}?bye=1`, { serverCloses: true });
  const spans = await waitForSpans(
    obs,
    memory,
    (s) => s.kind === SpanKind.SERVER && s.attributes['http.route'] === route,
    2,
  );
  const active = await activeRequests(obs, memory);
  const points = memory.metrics();
  const onRoute = (name: string) =>
    points.find((p) => p.name === name && p.attributes['http.route'] === route);
  return {
    answer,
    spans: spans.map((s) => [
      s.name,
      s.status.code,
      s.attributes['http.response.status_code'],
      s.attributes['error.type'],
    ]),
    lines: memory
      .logs()
      .filter((l) => l.route === route && l.duration_ms !== undefined)
      .map((l) => [l.level, l.status, l.error_type]),
    active,
    inRequestLatency: onRoute('http.server.request.duration') !== undefined,
    session: onRoute('websocket.server.session.duration')?.attributes,
  };
}

/**
 * What closedWebSocketSessions returns for two sessions recorded as a WebSocket should be: each a
 * 101 without error, logged at info, with its duration apart from the route's request latency.
 */
export function unfailedSessions(spanName: string, route: string) {
  const span = [spanName, SpanStatusCode.UNSET, 101, undefined];
  const line = ['info', 101, undefined];
  return {
    answer: 'HTTP/1.1 101 Switching Protocols',
    spans: [span, span],
    lines: [line, line],
    active: 0,
    inRequestLatency: false,
    session: {
      'http.request.method': 'GET',
      'url.scheme': 'http',
      'http.route': route,
      'http.response.status_code': 101,
      'network.protocol.version': '1.1',
    },
  };
}

/**
 * GETs `path` on `base`, an event stream, and hangs up after its first event, as a browser leaving
 * the page does; returns the status, status code and error.type of its SERVER span, the status and
 * error.type its duration was recorded under, and the level, status and error_type of its
 * access-log line.
 */
export async function eventStreamLeft(obs: Sightline, memory: MemoryExporter, base: string, path: string) {
  await leftAfterFirstChunk(`${base}${path}`);
  const [span] = await waitForSpans(
    obs,
    memory,
    (s) => s.kind === SpanKind.SERVER && s.attributes['url.path'] === path,
  );
  const route = span!.attributes['http.route'];
  const point = memory
    .metrics()
    .find((p) => p.name === 'http.server.request.duration' && p.attributes['http.route'] === route);
  const line = memory.logs().find((l) => l.path === path && l.duration_ms !== undefined);
  return {
    span: [span!.status.code, span!.attributes['http.response.status_code'], span!.attributes['error.type']],
    duration: [point?.attributes['http.response.status_code'], point?.attributes['error.type']],
    line: [line?.level, line?.status, line?.error_type],
  };
}

/** What eventStreamLeft returns for a stream whose client left, its normal end: a 200 without error. */
export const EVENT_STREAM_ENDED = {
  span: [SpanStatusCode.UNSET, 200, undefined],
  duration: [200, undefined],
  line: ['info', 200, undefined],
};

/**
 * GETs `path` on `base`, which the server cuts off before any answer; returns the error the client
 * got, the status code, status, error.type and exception type of its SERVER span, the error.type
 * its duration was recorded under, and the level and error_type of its access-log line.
 */
export async function cutOffUnanswered(obs: Sightline, memory: MemoryExporter, base: string, path: string) {
  const reset = await request(base, path).then(
    () => undefined,
    (error: { code?: unknown }) => error.code,
  );
  const [span] = await waitForSpans(
    obs,
    memory,
    (s) => s.kind === SpanKind.SERVER && s.attributes['url.path'] === path,
  );
  const point = memory
    .metrics()
    .find((p) => p.name === 'http.server.request.duration' && p.attributes['http.route'] === path);
  const line = memory.logs().find((l) => l.path === path && l.duration_ms !== undefined);
  return {
    reset,
    span: [
      span!.status.code,
      span!.attributes['http.response.status_code'],
      span!.attributes['error.type'],
      exceptionOf(span!)[0],
    ],
    duration: point?.attributes['error.type'],
    line: [line?.level, line?.error_type],
  };
}

/** The routes each app has that cut off their response before any answer, and the error.type each gets. */
export const CUT_OFF_ROUTES: [path: string, type: string][] = [
  ['/destroyed-unanswered-error', 'RangeError'],
  ['/destroyed-unanswered', 'response_cut'],
  // Its upstream reset the connection: the error reads as a client's, but the client is still there.
  ['/destroyed-unanswered-reset', 'ECONNRESET'],
];

/**
 * What cutOffUnanswered returns for a response the server cut off, destroyed with an error of
 * `type` or, for `response_cut`, with none: a server failure without a status.
 */
export function cutOffAsFailure(type: string) {
  return {
    reset: 'ECONNRESET',
    span: [SpanStatusCode.ERROR, undefined, type, type === 'response_cut' ? undefined : type],
    duration: type,
    line: ['error', type],
  };
}

/** What a proxy at 10.0.0.2, behind the loopback one, forwards of a client at 203.0.113.7. */
const FORWARDED = {
  'x-forwarded-for': '203.0.113.7, 10.0.0.2',
  'x-forwarded-proto': 'https',
  'x-forwarded-host': 'shop.example.com',
};

/**
 * Sends `/proxied/1` with a proxy's X-Forwarded-* headers and `/proxied/2` naming a scheme HTTP is
 * not served over to `trusting` (an app that trusts loopback and 10.0.0.0/8 proxies), and the same
 * headers to `path` on `base` (one that trusts none), and returns the client.address, url.scheme,
 * server.address, server.port and network.peer.address of their SERVER spans.
 */
export async function proxiedRequests(
  obs: Sightline,
  memory: MemoryExporter,
  trusting: string,
  base: string,
  path: string,
) {
  await request(trusting, '/proxied/1', { headers: FORWARDED });
  await request(trusting, '/proxied/2', {
    headers: { 'x-forwarded-proto': 'gopher', 'x-forwarded-host': 'shop.example.com:8443' },
  });
  await request(base, path, { headers: FORWARDED });
  const spans = await waitForSpans(obs, memory, (s) => s.kind === SpanKind.SERVER, 3);
  const seen = (spanPath: string) => {
    const a = spans.find((s) => s.attributes['url.path'] === spanPath)?.attributes ?? {};
    const keys = ['client.address', 'url.scheme', 'server.address', 'server.port', 'network.peer.address'];
    return keys.map((k) => a[k]);
  };
  return { trusted: seen('/proxied/1'), unknownScheme: seen('/proxied/2'), untrusted: seen(path) };
}

/** What proxiedRequests returns when sightline takes from the headers what the apps take. */
export function asTheAppsSeeThem(base: string) {
  return {
    trusted: ['203.0.113.7', 'https', 'shop.example.com', 443, '127.0.0.1'],
    // A scheme HTTP is not served over is the connection's: each would be a series of active_requests.
    // It names no client either: the connection's peer is the client, named once.
    unknownScheme: ['127.0.0.1', 'http', 'shop.example.com', 8443, undefined],
    // An app that trusts no proxy (the frameworks' default) takes none of it, nor does sightline.
    untrusted: ['127.0.0.1', 'http', '127.0.0.1', Number(new URL(base).port), undefined],
  };
}
