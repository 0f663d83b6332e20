import http, { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import express5 from 'express';
import express4 from 'express4';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { init } from '../../src/index.js';
import { expressErrorHandler, expressMiddleware } from '../../src/integrations/express/index.js';
import { memoryExporter } from '../../src/testing/index.js';
import {
  NOT_UTF8_BAGGAGE,
  absoluteFormGet,
  abortedRequest,
  bodyUntilClosed,
  close,
  deferred,
  heldRequests,
  hostlessGet,
  listen,
  request,
  unfinishedUpload,
  upstreamReset,
  webSocketSession,
} from './helpers/http-client.js';
import {
  activeDuringWebSocketSession,
  asTheAppsSeeThem,
  CUT_OFF_ROUTES,
  closedWebSocketSessions,
  cutOffAsFailure,
  cutOffUnanswered,
  droppedPipeline,
  durationPoint,
  EVENT_STREAM_ENDED,
  erroredRequest,
  eventStreamLeft,
  proxiedRequests,
  unfailedSessions,
  exceptionOf,
  waitForSpans,
} from './helpers/telemetry.js';
import { foreignError, NOT_OF_THIS_REALM, objectError } from './helpers/thrown-values.js';
import { expressWs } from './helpers/websocket.js';

const memory = memoryExporter();
const rawLines: string[] = [];
const obs = init({
  service: 'express-test',
  exporters: [memory],
  outbound: false,
  anomaly: false,
  handleSignals: false,
  logStream: { write: (line: string) => rawLines.push(line) },
});

afterAll(() => obs.shutdown());

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const PARENT_ID = 'b7ad6b7169203331';

type AnyExpress = (() => any) & { Router: (options?: object) => any };

const server = (path: string) => (s: { attributes: Record<string, unknown>; kind: SpanKind }) =>
  s.kind === SpanKind.SERVER && s.attributes['url.path'] === path;

/** The names of the SERVER spans of requests to `paths`, sent one after another. */
async function spanNames(base: string, paths: string[]): Promise<string[]> {
  const names = [];
  for (const path of paths) {
    await request(base, path);
    const [span] = await waitForSpans(obs, memory, server(path));
    names.push(span!.name);
  }
  return names;
}

describe.each([
  ['Express 5', express5 as unknown as AnyExpress, 5],
  ['Express 4', express4 as unknown as AnyExpress, 4],
])('%s', (_name, express, major) => {
  let httpServer: Server;
  let base: string;
  // The same app behind a server that gives clients 300 ms to send a whole request.
  let strictServer: Server;
  let strictBase: string;
  // And behind one that closes a connection idle for 200 ms (server.setTimeout).
  let idleServer: Server;
  let idleBase: string;
  let aborted = deferred();
  let abortSeen = deferred();
  const held = heldRequests();

  beforeAll(async () => {
    const app = express();
    app.use(
      expressMiddleware({
        ignore: ['/health', /^\/internal\//, (path: string) => path.startsWith('/skip')],
      }),
    );
    app.get('/health', (req: any, res: any) => {
      req.log.info({ probe: 'health' }, 'health checked');
      res.send('ok');
    });
    app.get('/internal/metrics', (_req: any, res: any) => res.send('ok'));
    app.get('/skip-me', (_req: any, res: any) => res.send('ok'));
    app.get('/users/:id', (req: any, res: any) => {
      const active = trace.getActiveSpan()?.spanContext();
      const baggage = propagation.getBaggage(context.active())?.getEntry('tenant')?.value;
      req.log.info({ user: req.params.id }, 'loading user');
      res.json({ id: req.params.id, activeTraceId: active?.traceId, activeSpanId: active?.spanId, baggage });
    });

    const v1 = express.Router();
    v1.get('/items/:itemId', (_req: any, res: any) => res.send('item'));
    v1.get('/', (_req: any, res: any) => res.send('v1 root'));
    const api = express.Router();
    api.use('/v1', v1);
    app.use('/api', api);

    const org = express.Router({ mergeParams: true });
    org.get('/users/:userId', (req: any, res: any) => res.json(req.params));
    app.use('/orgs/:orgId', org);

    // The mount's parameter takes the same value as the static segment before it: only probing tells them apart.
    const versioned = express.Router();
    versioned.get('/things/:thingId', (_req: any, res: any) => res.send('thing'));
    app.use('/v1/:version', versioned);

    // Two parameters in one segment of a mount path.
    const flights = express.Router();
    flights.get('/seats/:seat', (_req: any, res: any) => res.send('seat'));
    app.use('/flights/:from-:to', flights);

    // A mount parameter with a pattern of its own (Express 4), whose value may be in the text before it too.
    const accounts = express.Router();
    accounts.get('/orders', (_req: any, res: any) => res.send('orders'));
    app.use(major === 5 ? '/api/v1/accounts/:accountId' : '/api/v1/accounts/:accountId(\\d+)', accounts);
    // And one after a parameter sharing its segment with text, both taking the same value.
    app.use(
      major === 5 ? '/ledger/v:version/accounts/:accountId' : '/ledger/v:version/accounts/:accountId(\\d+)',
      accounts,
    );

    // One router mounted twice: the template follows the path the request took.
    const shared = express.Router();
    shared.get('/thing', (_req: any, res: any) => res.send('shared'));
    shared.get('/', (_req: any, res: any) => res.send('shared root'));
    app.use('/a', shared);
    app.use('/b/:bId', shared);

    // Paths given as RegExps: what they match may be an id, so the RegExp names the route.
    app.get(/^\/files\/.+$/, (_req: any, res: any) => res.send('file'));
    app.get(/^\/docs\/(.+)$/, (_req: any, res: any) => res.send('doc'));
    const tenant = express.Router();
    tenant.get('/profile', (_req: any, res: any) => res.send('profile'));
    app.use(/^\/t\/[a-z0-9]+/, tenant);
    app.get(['/pets/:petId', /^\/legacy-pets\/\d+$/], (_req: any, res: any) => res.send('pet'));
    app.get(['/kennel', /^\/kennels\/\d+$/], (_req: any, res: any) => res.send('kennel'));

    // Several paths on one route or mount, of the same length: each is named after its own.
    app.get(['/cats/:catId', '/dogs/:dogId'], (_req: any, res: any) => res.send('pet'));
    const shelf = express.Router();
    shelf.get('/box', (_req: any, res: any) => res.send('box'));
    app.use(['/shelf/:shelfId', '/rack/:rackId'], shelf);

    app.get('/sync-error', () => {
      throw new Error('sync boom');
    });
    app.get('/foreign-error', () => {
      throw foreignError;
    });
    app.get('/object-error', () => {
      throw objectError;
    });
    app.get('/unnamed-error', () => {
      throw Object.defineProperty(new Error('unnamed boom'), 'name', {
        get() {
          throw new Error('name getter');
        },
      });
    });
    if (major === 5) {
      app.get('/async-error', async () => {
        await new Promise((resolve) => setImmediate(resolve));
        throw new TypeError('async boom');
      });
    } else {
      app.get('/async-error', async (_req: any, _res: any, next: (err: unknown) => void) => {
        try {
          await new Promise((resolve) => setImmediate(resolve));
          throw new TypeError('async boom');
        } catch (error) {
          next(error);
        }
      });
    }
    // A streamed body whose source fails after the first chunk went out: the response is cut off.
    app.get('/pipe-error', (_req: any, res: any, next: (err: unknown) => void) => {
      const source = new Readable({ read() {} });
      source.push('first chunk');
      setImmediate(() => source.destroy(new TypeError('source failed')));
      // The callback runs once the response has closed: too late for any error handler.
      pipeline(source, res).catch((error) => next(error));
    });
    app.get('/destroyed', (_req: any, res: any) => {
      res.write('first chunk');
      setImmediate(() => res.destroy());
    });
    // Cut off before any answer: a handler that gives up on the request, with or without its error.
    app.get('/destroyed-unanswered', (_req: any, res: any) => {
      setImmediate(() => res.destroy());
    });
    app.get('/destroyed-unanswered-error', (_req: any, res: any) => {
      setImmediate(() => res.destroy(new RangeError('quota store unreachable')));
    });
    app.get('/destroyed-unanswered-reset', (_req: any, res: any) => {
      upstreamReset().then((error) => res.destroy(error));
    });
    // An upload turned away before its body is read, as a size check does.
    app.post('/destroyed-upload', (req: any) => {
      setImmediate(() => req.destroy());
    });
    // Event streams: open until the client leaves, their normal end.
    app.get('/events', (_req: any, res: any) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write('data: first\n\n');
    });
    app.get('/events/flushed', (_req: any, res: any) => {
      res.set({ 'Content-Type': 'text/event-stream; charset=utf-8' });
      res.flushHeaders();
      res.write('data: first\n\n');
    });
    app.get('/events/cut', (_req: any, res: any) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: first\n\n');
      setImmediate(() => res.destroy());
    });
    app.get('/late-error', (_req: any, res: any, next: (err: unknown) => void) => {
      // The response has started: the error can no longer become a 500, Express cuts it off.
      res.write('partial');
      setImmediate(() => next(new RangeError('late boom')));
    });
    app.get('/late-error-unflushed', (_req: any, res: any, next: (err: unknown) => void) => {
      // Answered whole, but not yet flushed: Express's final handler destroys the connection.
      res.send(Buffer.alloc(16 * 1024 * 1024));
      next(new RangeError('late boom'));
    });
    // The same, with an error handler that takes the error: the answer is flushed whole.
    const swallowing = express.Router();
    swallowing.get('/late-error-unflushed', (_req: any, res: any, next: (err: unknown) => void) => {
      res.send(Buffer.alloc(16 * 1024 * 1024));
      next(new RangeError('late boom'));
    });
    swallowing.use(expressErrorHandler());
    swallowing.use((_err: unknown, _req: any, _res: any, _next: unknown) => {});
    app.use('/swallowing', swallowing);
    // An error handler that answers 500 without checking whether the response has started.
    const careless = express.Router();
    careless.get('/after-answer', (_req: any, res: any, next: (err: unknown) => void) => {
      res.json({ ok: true });
      setImmediate(() => next(new Error('late boom')));
    });
    careless.get('/after-start', (_req: any, res: any, next: (err: unknown) => void) => {
      res.write('partial');
      setImmediate(() => next(new RangeError('late boom')));
    });
    careless.use((err: Error, _req: any, res: any, _next: unknown) => {
      res.status(500).json({ error: err.message });
    });
    app.use('/careless', careless);
    app.get('/bad-request', (_req: any, res: any) => res.status(400).send('no'));
    app.get('/server-error', (_req: any, res: any) => res.status(503).send('down'));
    app.get('/slow', (_req: any, res: any) => {
      res.on('close', () => abortSeen.resolve());
      aborted.resolve();
    });
    // Never answers: the client goes away with the later answers still queued behind the first.
    app.all('/queued/:n', (express as unknown as { json: () => unknown }).json(), held.handler);
    app.post(
      '/uploads',
      (_req: any, res: any, next: () => void) => {
        res.on('close', () => abortSeen.resolve());
        aborted.resolve();
        next();
      },
      (express as unknown as { json: () => unknown }).json(),
      (req: any, res: any) => res.json(req.body),
    );
    app.get('/jobs/:n', async (req: any, res: any) => {
      // Interleave the requests: each waits a different number of turns before logging.
      for (let i = 0; i < Number(req.params.n) % 7; i++)
        await new Promise((resolve) => setImmediate(resolve));
      req.log.info({ n: req.params.n }, 'request log');
      obs.log.info({ n: req.params.n }, 'instance log');
      res.send('done');
    });
    // A mounted app: Express moves the request onto that app's own request prototype.
    const admin = express();
    admin.get('/audit/:id', (req: any, res: any) => {
      req.log.info({ id: req.params.id }, 'mounted app log');
      res.send('audited');
    });
    app.use('/admin', admin);
    // The same app mounted at a second path: its mountpath is the last one.
    app.use('/backoffice', admin);
    // Apps mounted in a mounted app, under a parameter.
    const reports = express();
    reports.get('/daily/:day', (_req: any, res: any) => res.send('report'));
    const tenantApp = express();
    tenantApp.use('/reports', reports);
    app.use('/tenants/:tenantId', tenantApp);
    // An app set up on its own, middleware included, then mounted in this one.
    const widgets = express();
    widgets.use(expressMiddleware());
    widgets.get('/:widgetId', (_req: any, res: any) => res.send('widget'));
    app.use('/widgets', widgets);
    app.get('/own-logger', (req: any, res: any) => {
      const own = {
        info: (fields: object, msg: string) => rawLines.push(JSON.stringify({ ...fields, msg })),
      };
      req.log = own;
      req.log.info({ own: true }, 'own logger');
      res.json({ same: req.log === own });
    });
    app.use(expressErrorHandler());
    // Once the response has started, Express's own handler must end it (as Express's guide says).
    app.use((err: Error, _req: any, res: any, next: (err: unknown) => void) => {
      if (res.headersSent) return next(err);
      res.status(500).json({ error: err.message });
    });
    httpServer = createServer(app);
    base = await listen(httpServer);
    strictServer = createServer({ requestTimeout: 300, connectionsCheckingInterval: 50 }, app);
    strictBase = await listen(strictServer);
    idleServer = createServer(app).setTimeout(200);
    idleBase = await listen(idleServer);
  });

  afterAll(async () => {
    await close(httpServer);
    await close(strictServer);
    await close(idleServer);
  });
  beforeEach(() => {
    memory.reset();
    aborted = deferred();
    abortSeen = deferred();
  });

  it('names the SERVER span after the route template and sets the HTTP attributes', async () => {
    const reply = await request(base, '/users/42?token=secret', { headers: { 'user-agent': 'probe/1.0' } });
    expect(reply.status).toBe(200);

    const [span] = await waitForSpans(obs, memory, server('/users/42'));
    expect(span!.name).toBe('GET /users/:id');
    expect(span!.kind).toBe(SpanKind.SERVER);
    expect(span!.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.path': '/users/42',
      'url.scheme': 'http',
      'http.route': '/users/:id',
      'http.response.status_code': 200,
      'server.address': '127.0.0.1',
      'client.address': '127.0.0.1',
      'user_agent.original': 'probe/1.0',
      'network.protocol.version': '1.1',
    });
    expect(span!.attributes['server.port']).toBe(Number(new URL(base).port));
    expect(span!.attributes['error.type']).toBeUndefined();
    expect(JSON.stringify(span!.attributes)).not.toContain('secret');
    // The handler ran inside the span's context.
    const body = JSON.parse(reply.body);
    expect(body.activeTraceId).toBe(span!.spanContext().traceId);
    expect(body.activeSpanId).toBe(span!.spanContext().spanId);
  });

  it('names the client, scheme and host a proxy the app trusts forwards (trust proxy), and only then', async () => {
    const trusting = express();
    trusting.set('trust proxy', ['loopback', '10.0.0.0/8']);
    trusting.use(expressMiddleware());
    trusting.get('/proxied/:id', (_req: any, res: any) => res.send('ok'));
    const trustingServer = createServer(trusting);
    try {
      const trustingBase = await listen(trustingServer);
      expect(await proxiedRequests(obs, memory, trustingBase, base, '/users/3')).toEqual(
        asTheAppsSeeThem(base),
      );
    } finally {
      await close(trustingServer);
    }
  });

  it('continues the caller trace from traceparent and reads baggage', async () => {
    const reply = await request(base, '/users/7', {
      headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`, baggage: 'tenant=acme' },
    });
    const [span] = await waitForSpans(obs, memory, server('/users/7'));
    expect(span!.spanContext().traceId).toBe(TRACE_ID);
    expect(span!.parentSpanContext?.spanId).toBe(PARENT_ID);
    expect(JSON.parse(reply.body).baggage).toBe('acme');
  });

  it('reads a baggage value whose encoded octets are not UTF-8 with U+FFFD in their place, as W3C Baggage asks', async () => {
    for (const [sent, read] of NOT_UTF8_BAGGAGE) {
      const reply = await request(base, '/users/9', { headers: { baggage: `tenant=${sent}` } });
      expect(JSON.parse(reply.body).baggage).toBe(read);
    }
  });

  it.each(['garbage', `00-${'0'.repeat(32)}-${PARENT_ID}-01`, `00-${TRACE_ID}-xyz-01`])(
    'starts a new trace on a malformed traceparent (%s)',
    async (traceparent) => {
      const reply = await request(base, '/users/8', { headers: { traceparent } });
      expect(reply.status).toBe(200);
      const [span] = await waitForSpans(obs, memory, server('/users/8'));
      expect(span!.spanContext().traceId).not.toBe(TRACE_ID);
      expect(span!.spanContext().traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(span!.parentSpanContext).toBeUndefined();
    },
  );

  it.each([
    ['/api/v1/items/9', 'GET /api/v1/items/:itemId'],
    ['/api/v1', 'GET /api/v1'],
    // A mount is named as written, whatever the case of the request.
    ['/API/v1', 'GET /api/v1'],
    ['/orgs/acme/users/u1', 'GET /orgs/:orgId/users/:userId'],
    // One series for every spelling of a route under a parameterised mount, an app's too.
    ['/ORGS/acme/Users/u1', 'GET /orgs/:orgId/users/:userId'],
    ['/Orgs/acme/USERS/u1', 'GET /orgs/:orgId/users/:userId'],
    ['/TENANTS/acme/Reports/daily/2024-01-01', 'GET /tenants/:tenantId/reports/daily/:day'],
    ['/v1/v1/things/t1', 'GET /v1/:version/things/:thingId'],
    ['/a/thing', 'GET /a/thing'],
    ['/b/5/thing', 'GET /b/:bId/thing'],
    ['/flights/LHR-JFK/seats/12A', 'GET /flights/:from-:to/seats/:seat'],
    ['/api/v1/accounts/1/orders', 'GET /api/v1/accounts/:accountId/orders'],
    ['/api/v1/accounts/7/orders', 'GET /api/v1/accounts/:accountId/orders'],
    ['/ledger/v1/accounts/1/orders', 'GET /ledger/v:version/accounts/:accountId/orders'],
    ['/ledger/v2/accounts/1/orders', 'GET /ledger/v:version/accounts/:accountId/orders'],
    // A trailing slash is no route of its own.
    ['/b/5', 'GET /b/:bId'],
    ['/b/5/', 'GET /b/:bId'],
    ['/cats/7/', 'GET /cats/:catId'],
  ])('records the full template under nested routers: %s', async (path, name) => {
    const reply = await request(base, path);
    expect(reply.status).toBe(200);
    const [span] = await waitForSpans(obs, memory, server(path));
    expect(span!.name).toBe(name);
    expect(span!.attributes['http.route']).toBe(name.slice(4));
  });

  it('names a request sent in absolute form (GET http://host/path) after its path, and ignores it as that path', async () => {
    expect(await absoluteFormGet(base, '/health')).toBe(200);
    expect(await absoluteFormGet(base, '/api/v1/items/9?token=secret')).toBe(200);
    const [span] = await waitForSpans(obs, memory, (s) => s.kind === SpanKind.SERVER);
    expect([span!.name, span!.attributes['url.path']]).toEqual([
      'GET /api/v1/items/:itemId',
      '/api/v1/items/9',
    ]);
    expect(memory.spans().filter((s) => s.kind === SpanKind.SERVER)).toHaveLength(1);
  });

  it('names no server port for a request without a Host header, over TCP or a Unix socket', async () => {
    const unixServer = createServer(httpServer.listeners('request')[0] as http.RequestListener);
    const socketPath = join(tmpdir(), `sightline-express-${process.pid}.sock`);
    await new Promise<void>((resolve) => unixServer.listen(socketPath, resolve));
    const { hostname, port } = new URL(base);
    expect(await hostlessGet({ host: hostname, port: Number(port) }, '/users/tcp')).toBe(200);
    expect(await hostlessGet({ path: socketPath }, '/users/unix')).toBe(200);
    await close(unixServer);
    const spans = await waitForSpans(obs, memory, (s) => s.kind === SpanKind.SERVER, 2);
    // Not port 80, where neither was received: without a Host header the port is not known.
    expect(
      spans
        .map((s) => [s.attributes['url.path'], s.attributes['server.address'], s.attributes['server.port']])
        .sort(),
    ).toEqual([
      ['/users/tcp', undefined, undefined],
      ['/users/unix', undefined, undefined],
    ]);
    expect(spans.map((s) => s.attributes['network.protocol.version'])).toEqual(['1.0', '1.0']);
  });

  it.each([
    ['/files/a1b2c3/report-991.pdf', String(/^\/files\/.+$/)],
    ['/docs/some/user/id-4242', String(/^\/docs\/(.+)$/)],
    ['/t/tenant8812/profile', `${String(/^\/t\/[a-z0-9]+/)}/profile`],
    ['/legacy-pets/77', String(/^\/legacy-pets\/\d+$/)],
    ['/kennels/5', String(/^\/kennels\/\d+$/)],
    ['/pets/3', '/pets/:petId'],
  ])(
    'names a path given as a RegExp by the RegExp, never by the path it matched: %s',
    async (path, route) => {
      expect((await request(base, path)).status).toBe(200);
      const [span] = await waitForSpans(obs, memory, server(path));
      expect(span!.name).toBe(`GET ${route}`);
      expect(span!.attributes['http.route']).toBe(route);
    },
  );

  it('names a long path on a wildcard or a RegExp without matching the layer once per segment', async () => {
    const app = express();
    app.use(expressMiddleware());
    const files = express.Router();
    files.get('/', (_req: any, res: any) => res.send('file'));
    app.use(major === 5 ? '/files/*rest' : '/files/*', files);
    const deep = express.Router();
    deep.get('/', (_req: any, res: any) => res.send('deep'));
    app.use(/^\/deep\/(.+)/, deep);
    app.get(major === 5 ? ['/blobs/*blob', '/blob/:id'] : ['/blobs/*', '/blob/:id'], (_req: any, res: any) =>
      res.send('blob'),
    );
    app.get(/^\/docs\/(.+)$/, (_req: any, res: any) => res.send('doc'));
    const stack: any[] = (major === 5 ? app.router : app._router).stack;
    const layers = new Map<string, any>([
      ['/files', stack.find((l) => l.handle === files)],
      ['/deep', stack.find((l) => l.handle === deep)],
      ['/blobs', stack.find((l) => Array.isArray(l.route?.path))],
      ['/docs', stack.find((l) => l.route?.path instanceof RegExp)],
    ]);
    const calls = new Map<string, number>();
    for (const [prefix, layer] of layers) {
      const match = layer.match;
      layer.match = function (path: string) {
        calls.set(prefix, (calls.get(prefix) ?? 0) + 1);
        return match.call(this, path);
      };
    }
    const httpServer = createServer(app);
    const base = await listen(httpServer);
    try {
      for (const prefix of layers.keys()) {
        for (const rest of ['a/b', `${'a/'.repeat(200)}b`]) {
          const path = `${prefix}/${rest}`;
          calls.set(prefix, 0);
          expect((await request(base, path)).status).toBe(200);
          const [span] = await waitForSpans(obs, memory, server(path));
          expect(span!.name).not.toContain('a/b');
          // Once as Express routed the request, once as the walk followed it; a wildcard's short
          // match may be probed, one match per segment, a long one never.
          const probes = rest === 'a/b' && ['/files', '/blobs'].includes(prefix) ? 3 : 0;
          expect(calls.get(prefix)).toBeLessThanOrEqual(2 + probes);
        }
      }
    } finally {
      await close(httpServer);
    }
  });

  it('names a route under a mount with a wildcard or an optional parameter by the mount path, whatever path the request took', async () => {
    const app = express();
    app.use(expressMiddleware());
    const files = express.Router();
    files.get('/', (_req: any, res: any) => res.send('file'));
    app.use(major === 5 ? '/files/*rest' : '/files/*', files);
    const docs = express.Router();
    docs.get('/:page', (_req: any, res: any) => res.send('doc'));
    app.use(major === 5 ? '{/:lang}/docs' : '/:lang?/docs', docs);
    const trees = express.Router();
    trees.get('/', (_req: any, res: any) => res.send('tree'));
    app.use(major === 5 ? '/trees/:repo/*path' : '/trees/:repo/:path*', trees);
    // And an optional parameter with a pattern of its own (Express 4).
    const pages = express.Router();
    pages.get('/', (_req: any, res: any) => res.send('list'));
    app.use(major === 5 ? '/list{/:page}/items' : '/list/:page(\\d+)?/items', pages);
    const httpServer = createServer(app);
    const base = await listen(httpServer);
    try {
      const names = await spanNames(base, [
        '/files/a',
        '/files/a/b',
        '/en/docs/intro',
        '/docs/intro',
        '/trees/web/src',
        '/trees/web/src/lib',
        '/list/items',
        '/list/2/items',
      ]);
      const [files, docs, trees, list] =
        major === 5
          ? ['/files/*rest', '{/:lang}/docs/:page', '/trees/:repo/*path', '/list{/:page}/items']
          : ['/files/*', '/:lang?/docs/:page', '/trees/:repo/:path*', '/list/:page?/items'];
      expect(names).toEqual(
        [files, files, docs, docs, trees, trees, list, list].map((route) => `GET ${route}`),
      );
    } finally {
      await close(httpServer);
    }
  });

  it('names each path of a route or mount given several paths after the path the request took', async () => {
    const names = await spanNames(base, ['/cats/1', '/dogs/2', '/cats/3', '/shelf/4/box', '/rack/5/box']);
    expect(names).toEqual([
      'GET /cats/:catId',
      'GET /dogs/:dogId',
      'GET /cats/:catId',
      'GET /shelf/:shelfId/box',
      'GET /rack/:rackId/box',
    ]);
  });

  it('names each path of a route or mount given several paths, with a wildcard or an optional parameter, as written', async () => {
    const app = express();
    app.use(expressMiddleware());
    app.get(major === 5 ? ['/blobs/*blob', '/blob/:id'] : ['/blobs/*', '/blob/:id'], (_req: any, res: any) =>
      res.send('blob'),
    );
    app.get(
      major === 5 ? ['/posts{/:slug}', '/articles/:id'] : ['/posts/:slug?', '/articles/:id'],
      (_req: any, res: any) => res.send('post'),
    );
    const guides = express.Router();
    guides.get('/', (_req: any, res: any) => res.send('guide'));
    app.use(major === 5 ? ['{/:lang}/guides', '/assets/*rest'] : ['/:lang?/guides', '/assets/*'], guides);
    const httpServer = createServer(app);
    const base = await listen(httpServer);
    try {
      const paths = [
        '/blobs/a',
        '/blobs/a/b',
        '/blob/3',
        '/posts',
        '/posts/hello',
        '/guides',
        '/en/guides',
        '/assets/a',
        '/assets/a/b',
      ];
      const [blobs, posts, guide, assets] =
        major === 5
          ? ['/blobs/*blob', '/posts{/:slug}', '{/:lang}/guides', '/assets/*rest']
          : ['/blobs/*', '/posts/:slug?', '/:lang?/guides', '/assets/*'];
      expect(await spanNames(base, paths)).toEqual(
        [blobs, blobs, '/blob/:id', posts, posts, guide, guide, assets, assets].map(
          (route) => `GET ${route}`,
        ),
      );
    } finally {
      await close(httpServer);
    }
  });

  // Express 4's path patterns (`?`, `+`, `*` and groups), as its docs give them for app.use.
  it.runIf(major === 4)(
    'names a mount at a path pattern as written, whatever path the request took',
    async () => {
      const app = express();
      app.use(expressMiddleware());
      // A group holding a class (`\\d`) as written too, not by what it took nor by the RegExp.
      const mounts = ['/users?', '/ab+c', '/x(yz)?w', '/ab*cd', '/v/(on|off)line', '/e/(\\d+)', '/s(\\w+)?t'];
      for (const mount of mounts) {
        const router = express.Router();
        router.get('/items/:id', (_req: any, res: any) => res.send('item'));
        app.use(mount, router);
      }
      const teams = express();
      teams.get('/:teamId', (_req: any, res: any) => res.send('team'));
      app.use('/teams?', teams);
      const httpServer = createServer(app);
      const base = await listen(httpServer);
      try {
        const paths = [
          '/user/items/1',
          '/users/items/2',
          '/abc/items/3',
          '/abbbc/items/4',
          '/xw/items/5',
          '/xyzw/items/6',
          '/abcd/items/7',
          '/ab-any-cd/items/8',
          '/v/online/items/9',
          '/v/offline/items/10',
          '/e/12/items/11',
          '/e/345/items/12',
          '/st/items/13',
          '/sabt/items/14',
          '/team/t1',
          '/teams/t2',
        ];
        expect(await spanNames(base, paths)).toEqual([
          'GET /users?/items/:id',
          'GET /users?/items/:id',
          'GET /ab+c/items/:id',
          'GET /ab+c/items/:id',
          'GET /x(yz)?w/items/:id',
          'GET /x(yz)?w/items/:id',
          'GET /ab*cd/items/:id',
          'GET /ab*cd/items/:id',
          'GET /v/(on|off)line/items/:id',
          'GET /v/(on|off)line/items/:id',
          'GET /e/(\\d+)/items/:id',
          'GET /e/(\\d+)/items/:id',
          'GET /s(\\w+)?t/items/:id',
          'GET /s(\\w+)?t/items/:id',
          'GET /teams?/:teamId',
          'GET /teams?/:teamId',
        ]);
      } finally {
        await close(httpServer);
      }
    },
  );

  it('names a mount given several paths, RegExps among them, after the path the request took, a RegExp by itself', async () => {
    const app = express();
    app.use(expressMiddleware());
    const items = express.Router();
    items.get('/items/:id', (_req: any, res: any) => res.send('item'));
    app.use(['/abcd', '/xyza', /\/lmn|\/pqr/], items);
    app.use([/^\/(x|y)\/\d+/, '/w/:wId'], items);
    const httpServer = createServer(app);
    const base = await listen(httpServer);
    try {
      const paths = [
        '/abcd/items/1',
        '/xyza/items/2',
        '/lmn/items/3',
        '/pqr/items/4',
        '/x/5/items/6',
        '/y/7/items/8',
      ];
      expect(await spanNames(base, [...paths, '/w/9/items/10'])).toEqual([
        'GET /abcd/items/:id',
        'GET /xyza/items/:id',
        `GET ${String(/\/lmn|\/pqr/)}/items/:id`,
        `GET ${String(/\/lmn|\/pqr/)}/items/:id`,
        `GET ${String(/^\/(x|y)\/\d+/)}/items/:id`,
        `GET ${String(/^\/(x|y)\/\d+/)}/items/:id`,
        'GET /w/:wId/items/:id',
      ]);
    } finally {
      await close(httpServer);
    }
  });

  it('names a route by the path a middleware rewrote the URL to, with the mount paths above it', async () => {
    const app = express();
    app.use(expressMiddleware());
    // A base path the proxy in front leaves on, stripped before the routes.
    app.use((req: any, _res: any, next: () => void) => {
      if (req.url.startsWith('/svc/')) req.url = req.url.slice('/svc'.length);
      next();
    });
    const users = express.Router();
    users.get('/:id', (_req: any, res: any) => res.send('user'));
    const orders = express.Router();
    orders.get('/:id', (req: any, res: any, next: (err: unknown) => void) =>
      req.params.id === 'bad' ? next(new Error('bad order')) : res.send('order'),
    );
    // And a router rewriting the part of the URL below its own mount path.
    const items = express.Router();
    items.use((req: any, _res: any, next: () => void) => {
      req.url = req.url.replace(/^\/old\//, '/new/');
      next();
    });
    items.get('/new/:itemId', (_req: any, res: any) => res.send('item'));
    orders.use('/:orderId/items', items);
    app.use('/users', users);
    app.use('/orders', orders);
    app.use((_err: unknown, _req: any, res: any, _next: unknown) => res.status(500).send('failed'));
    const httpServer = createServer(app);
    const base = await listen(httpServer);
    try {
      const paths = ['/svc/users/1', '/svc/orders/2', '/svc/orders/bad', '/svc/orders/3/items/old/4'];
      expect(await spanNames(base, paths)).toEqual([
        'GET /users/:id',
        'GET /orders/:id',
        'GET /orders/:id',
        'GET /orders/:orderId/items/new/:itemId',
      ]);
    } finally {
      await close(httpServer);
    }
  });

  it.each([
    ['/admin/audit/7', 'GET /admin/audit/:id'],
    ['/backoffice/audit/7', 'GET /backoffice/audit/:id'],
    ['/tenants/acme/reports/daily/2024-01-01', 'GET /tenants/:tenantId/reports/daily/:day'],
  ])('names a route in a mounted app with the mount paths above it: %s', async (path, name) => {
    expect((await request(base, path)).status).toBe(200);
    const [span] = await waitForSpans(obs, memory, server(path));
    expect(span!.name).toBe(name);
    expect(span!.attributes['http.route']).toBe(name.slice(4));
  });

  it('names a route in a mounted app after that app’s mount, not an app’s mounted before it that the request went through', async () => {
    const app = express();
    app.use(expressMiddleware());
    // Pages per tenant, under a parameter that takes /api too, with no route for what the API serves.
    const pages = express();
    pages.get('/dashboard', (_req: any, res: any) => res.send('dashboard'));
    app.use('/:tenant', pages);
    const api = express();
    api.get('/items/:id', (_req: any, res: any) => res.send('item'));
    app.use('/api', api);
    // And apps mounted at a list of paths and at a RegExp, whose mountpath is no string.
    const catalog = express();
    catalog.get('/items/:sku', (_req: any, res: any) => res.send('item'));
    app.use(['/shop', '/stores/:storeId'], catalog);
    const legacy = express();
    legacy.get('/items/:sku', (_req: any, res: any) => res.send('item'));
    app.use(/^\/(?:old|legacy)/, legacy);
    const httpServer = createServer(app);
    const base = await listen(httpServer);
    try {
      const paths = ['/api/items/7', '/acme/dashboard', '/shop/items/1', '/stores/2/items/3', '/old/items/4'];
      expect(await spanNames(base, paths)).toEqual([
        'GET /api/items/:id',
        'GET /:tenant/dashboard',
        'GET /shop/items/:sku',
        'GET /stores/:storeId/items/:sku',
        `GET ${String(/^\/(?:old|legacy)/)}/items/:sku`,
      ]);
    } finally {
      await close(httpServer);
    }
  });

  /** Pages, and a tenant's router that serves them for acme only, handing other tenants on. */
  function tenantPages() {
    const site = express.Router();
    site.get(major === 5 ? '/*page' : '*', (req: any) => {
      if (req.path.endsWith('/fail')) throw new Error('page failed');
      req.res.send('page');
    });
    const tenant = express.Router({ mergeParams: true });
    tenant.use((req: any, _res: any, next: (to?: string) => void) =>
      req.params.tenant === 'acme' ? next() : next('router'),
    );
    tenant.use(site);
    return { site, tenant };
  }

  it("names a route reached under two mounts by the one Express took, past a router that a middleware left with next('router')", async () => {
    const app = express();
    app.use(expressMiddleware());
    // Pages served per tenant and at the root.
    const { site, tenant } = tenantPages();
    app.use('/:tenant', tenant);
    app.use(site);
    // An error answered above both: the request has left the routers by then.
    app.use((_err: unknown, _req: any, res: any, _next: unknown) => res.status(500).send('failed'));
    const httpServer = createServer(app);
    const base = await listen(httpServer);
    try {
      const page = major === 5 ? '*page' : '*';
      expect(await spanNames(base, ['/docs/intro', '/acme/docs', '/acme/fail'])).toEqual([
        `GET /${page}`,
        `GET /:tenant/${page}`,
        `GET /:tenant/${page}`,
      ]);
    } finally {
      await close(httpServer);
    }
  });

  it('names a route reached under two mounts that took the same part of the path by the first, as the README says', async () => {
    const app = express();
    app.use(expressMiddleware());
    // The request holds the same mount path and parameters under either: nothing tells them apart.
    const { site, tenant } = tenantPages();
    app.use('/:tenant', tenant);
    app.use('/docs', site);
    const httpServer = createServer(app);
    const base = await listen(httpServer);
    try {
      const page = major === 5 ? '*page' : '*';
      expect(await spanNames(base, ['/docs/intro', '/acme/intro'])).toEqual([
        `GET /:tenant/${page}`,
        `GET /:tenant/${page}`,
      ]);
    } finally {
      await close(httpServer);
    }
  });

  it('names a route in an app mounted at two paths after the mount the request went through, not a middleware before it that hands requests to another app', async () => {
    const app = express();
    app.use(expressMiddleware());
    // A maintenance switch, which hands every request to another app while it is on.
    const maintenance = express();
    maintenance.use((_req: any, res: any) => res.status(503).send('down'));
    app.use((req: any, res: any, next: () => void) => {
      if (req.app.get('maintenance')) return maintenance.handle(req, res, next);
      next();
    });
    const api = express();
    api.get(major === 5 ? '/*rest' : '*', (_req: any, res: any) => res.send('fallback'));
    app.use('/api', api);
    app.use('/v1', api);
    const httpServer = createServer(app);
    const base = await listen(httpServer);
    try {
      const rest = major === 5 ? '*rest' : '*';
      expect(await spanNames(base, ['/api/a/b', '/v1/a/b'])).toEqual([`GET /api/${rest}`, `GET /v1/${rest}`]);
    } finally {
      await close(httpServer);
    }
  });

  it('names a route in an app mounted in two apps after the mounts the request went through, not the last app that mounted it', async () => {
    const app = express();
    app.use(expressMiddleware());
    // Mounted at the root and in an API app itself mounted at the root and under a partner app:
    // Express keeps the last app each was mounted in.
    const status = express();
    status.get('/checks/:name', (_req: any, res: any) => res.send('ok'));
    app.use('/status', status);
    const api = express();
    api.use('/status', status);
    app.use('/api', api);
    const partner = express();
    partner.use('/v2', api);
    app.use('/partners/:partner', partner);
    const httpServer = createServer(app);
    const base = await listen(httpServer);
    try {
      const paths = ['/status/checks/db', '/api/status/checks/db', '/partners/p1/v2/status/checks/db'];
      expect(await spanNames(base, paths)).toEqual([
        'GET /status/checks/:name',
        'GET /api/status/checks/:name',
        'GET /partners/:partner/v2/status/checks/:name',
      ]);
    } finally {
      await close(httpServer);
    }
  });

  it('names a route in an app a router mounts (router.use(subApp)) with the mount paths above it', async () => {
    const app = express();
    app.use(expressMiddleware());
    // An app mounted at the root, which every request goes through.
    const pages = express();
    pages.get('/about', (_req: any, res: any) => res.send('about'));
    app.use(pages);
    const users = express();
    users.get('/:id', (_req: any, res: any) => res.send('user'));
    const orders = express();
    orders.get('/:id', (_req: any, res: any) => res.send('order'));
    const lines = express();
    lines.get('/:lineId', (_req: any, res: any) => res.send('line'));
    orders.use('/:id/lines', lines);
    const api = express.Router();
    api.use('/users', users);
    api.use('/orders', orders);
    // A catch-all, which takes the path the request came with as well as the one left below its mounts.
    const files = express();
    files.get(major === 5 ? '/*rest' : '*', (_req: any, res: any) => res.send('file'));
    api.use('/files', files);
    app.use('/api/:version', api);
    const httpServer = createServer(app);
    const base = await listen(httpServer);
    try {
      const paths = ['/api/v1/users/1', '/api/v2/orders/2', '/api/v1/orders/3/lines/4', '/api/v1/files/a/b'];
      expect(await spanNames(base, paths)).toEqual([
        'GET /api/:version/users/:id',
        'GET /api/:version/orders/:id',
        'GET /api/:version/orders/:id/lines/:lineId',
        `GET /api/:version/files/${major === 5 ? '*rest' : '*'}`,
      ]);
    } finally {
      await close(httpServer);
    }
  });

  it('names a route in an app a router mounts with the mount paths above the app the middleware is in, itself mounted', async () => {
    const outer = express();
    const service = express();
    service.use(expressMiddleware());
    const users = express();
    users.get('/:id', (_req: any, res: any) => res.send('user'));
    const api = express.Router();
    api.use('/users', users);
    service.use(api);
    outer.use('/svc/:region', service);
    const httpServer = createServer(outer);
    const base = await listen(httpServer);
    try {
      expect(await spanNames(base, ['/svc/eu/users/1'])).toEqual(['GET /svc/:region/users/:id']);
    } finally {
      await close(httpServer);
    }
  });

  it('names a route in an app mounted beside the app the middleware is in, which the request went through', async () => {
    // The middleware in a mounted app every request goes through, with no route for the admin's:
    // mounted by app.use, then by a router.
    for (const byRouter of [false, true]) {
      memory.reset();
      const app = express();
      const site = express();
      site.use(expressMiddleware());
      site.get('/home', (_req: any, res: any) => res.send('home'));
      app.use(byRouter ? express.Router().use(site) : site);
      const admin = express();
      admin.get('/users/:id', (_req: any, res: any) => res.send('user'));
      app.use('/admin', admin);
      const httpServer = createServer(app);
      const base = await listen(httpServer);
      try {
        expect(await spanNames(base, ['/admin/users/1', '/home'])).toEqual([
          'GET /admin/users/:id',
          'GET /home',
        ]);
      } finally {
        await close(httpServer);
      }
    }
  });

  it('names a route in the last of 200 routers matching the path against the layers on the way to it only', async () => {
    // Mounted each at a path of its own, and all at the root.
    for (const atRoot of [false, true]) {
      memory.reset();
      const app = express();
      app.use(expressMiddleware());
      let named = false;
      for (let i = 0; i < 200; i++) {
        const router = express.Router();
        router.get(atRoot ? `/r${i}/items/:id` : '/items/:id', (_req: any, res: any) => {
          named = true;
          res.send('item');
        });
        app.use(atRoot ? '/' : `/r${i}`, router);
      }
      // Counted once the handler runs: Express has routed the request, sightline names its route.
      let matches = 0;
      for (const layer of (major === 5 ? app.router : app._router).stack) {
        const match = layer.match;
        layer.match = function (this: unknown, path: string) {
          if (named) matches++;
          return match.call(this, path);
        };
      }
      const httpServer = createServer(app);
      const base = await listen(httpServer);
      try {
        expect(await spanNames(base, ['/r199/items/1'])).toEqual(['GET /r199/items/:id']);
        expect(matches).toBe(1);
      } finally {
        await close(httpServer);
      }
    }
  });

  it('names a route by the routers as they are at each request, a router mounted again or a layer swapped while the app serves', async () => {
    const app = express();
    app.use(expressMiddleware());
    const items = express.Router();
    items.get('/items/:id', (_req: any, res: any) => res.send('item'));
    app.use('/a', items);
    const other = express.Router();
    other.get('/ping', (_req: any, res: any) => res.send('pong'));
    app.use('/b', other);
    const placeholder = express.Router();
    app.use('/d', placeholder);
    const root = major === 5 ? app.router : app._router;
    const httpServer = createServer(app);
    const base = await listen(httpServer);
    try {
      expect(await spanNames(base, ['/a/items/1'])).toEqual(['GET /a/items/:id']);
      // Mounted again, at the end and under a router that held none of its routes.
      app.use('/c', items);
      other.use('/nested', items);
      expect(await spanNames(base, ['/c/items/2', '/b/nested/items/3', '/a/items/4'])).toEqual([
        'GET /c/items/:id',
        'GET /b/nested/items/:id',
        'GET /a/items/:id',
      ]);
      // A layer swapped for one mounting it, the stack as long as it was.
      const donor = express();
      donor.use('/d', items);
      const mount = (major === 5 ? donor.router : donor._router).stack.at(-1);
      root.stack[root.stack.findIndex((layer: any) => layer.handle === placeholder)] = mount;
      expect(await spanNames(base, ['/d/items/5'])).toEqual(['GET /d/items/:id']);
    } finally {
      await close(httpServer);
    }
  });

  it('names a route by the routers as they are at each request, routes added, removed or put in a route’s place while the app serves', async () => {
    const app = express();
    app.use(expressMiddleware());
    const items = express.Router();
    items.get('/first', (_req: any, res: any) => res.send('first'));
    items.get('/items/:id', (_req: any, res: any) => res.send('item'));
    app.use('/a', items);
    app.get('/home', (_req: any, res: any) => res.send('home'));
    const root = major === 5 ? app.router : app._router;
    const httpServer = createServer(app);
    const base = await listen(httpServer);
    try {
      expect(await spanNames(base, ['/a/items/1'])).toEqual(['GET /a/items/:id']);
      // Routes added as the app serves, to its routers and to the app.
      items.get('/late/:id', (_req: any, res: any) => res.send('late'));
      app.get('/later/:id', (_req: any, res: any) => res.send('later'));
      expect(await spanNames(base, ['/a/late/2', '/later/3', '/a/items/4'])).toEqual([
        'GET /a/late/:id',
        'GET /later/:id',
        'GET /a/items/:id',
      ]);
      // A route removed ahead of the one named, which moves it up its stack.
      items.stack.shift();
      expect(await spanNames(base, ['/a/items/5'])).toEqual(['GET /a/items/:id']);
      // A mount put in a route's place, the stack as long as it was.
      const donor = express();
      donor.use('/e', items);
      root.stack[root.stack.findIndex((layer: any) => layer.route?.path === '/home')] = (
        major === 5 ? donor.router : donor._router
      ).stack.at(-1);
      expect(await spanNames(base, ['/e/items/6', '/a/items/7'])).toEqual([
        'GET /e/items/:id',
        'GET /a/items/:id',
      ]);
    } finally {
      await close(httpServer);
    }
  });

  it('names a route by the mount Express took after a reload dropped a route and mounted a router, the stack as long as it was', async () => {
    const app = express();
    app.use(expressMiddleware());
    const { site, tenant } = tenantPages();
    app.use('/:tenant', tenant);
    app.get('/legacy', (_req: any, res: any) => res.send('legacy'));
    app.get('/old', (_req: any, res: any) => res.send('old'));
    const root = major === 5 ? app.router : app._router;
    const httpServer = createServer(app);
    const base = await listen(httpServer);
    const page = major === 5 ? '*page' : '*';
    try {
      expect(await spanNames(base, ['/acme/intro'])).toEqual([`GET /:tenant/${page}`]);
      // A reload drops a route and mounts the pages at the root, the stack as long as it was.
      root.stack.splice(
        root.stack.findIndex((layer: any) => layer.route?.path === '/legacy'),
        1,
      );
      app.use(site);
      expect(await spanNames(base, ['/docs/intro', '/acme/docs'])).toEqual([
        `GET /${page}`,
        `GET /:tenant/${page}`,
      ]);
    } finally {
      await close(httpServer);
    }
  });

  it('names a route by the mount Express took after a mount was put in a route’s place ahead of the one it was named by', async () => {
    const app = express();
    app.use(expressMiddleware());
    const { site } = tenantPages();
    app.get('/home', (_req: any, res: any) => res.send('home'));
    app.use(site);
    const root = major === 5 ? app.router : app._router;
    const httpServer = createServer(app);
    const base = await listen(httpServer);
    const page = major === 5 ? '*page' : '*';
    try {
      expect(await spanNames(base, ['/acme/intro'])).toEqual([`GET /${page}`]);
      // The pages mounted per tenant too, in the place of a route ahead of their root mount.
      const donor = express();
      donor.use('/:tenant', site);
      root.stack[root.stack.findIndex((layer: any) => layer.route?.path === '/home')] = (
        major === 5 ? donor.router : donor._router
      ).stack.at(-1);
      expect(await spanNames(base, ['/acme/outro'])).toEqual([`GET /:tenant/${page}`]);
    } finally {
      await close(httpServer);
    }
  });

  it('names a route under a mount whose router a reload swapped in place (the layer kept, its handle replaced)', async () => {
    const app = express();
    app.use(expressMiddleware());
    const items = express.Router();
    items.get('/items/:id', (_req: any, res: any) => res.send('item'));
    const v1 = express.Router();
    v1.use('/x', items);
    app.use('/a', v1);
    const root = major === 5 ? app.router : app._router;
    const httpServer = createServer(app);
    const base = await listen(httpServer);
    try {
      expect(await spanNames(base, ['/a/x/items/1'])).toEqual(['GET /a/x/items/:id']);
      // The reloaded router mounts the same routes after a router of its own.
      const v2 = express.Router();
      v2.use('/y', express.Router());
      v2.use('/x', items);
      root.stack.find((layer: any) => layer.handle === v1).handle = v2;
      expect(await spanNames(base, ['/a/x/items/2'])).toEqual(['GET /a/x/items/:id']);
      // A route added to the reloaded router ahead of the one already named.
      const more = express.Router();
      more.get('/items/:id', (_req: any, res: any) => res.send('more'));
      v2.stack.unshift(...express.Router().use('/z', more).stack);
      expect(await spanNames(base, ['/a/z/items/3', '/a/x/items/4'])).toEqual([
        'GET /a/z/items/:id',
        'GET /a/x/items/:id',
      ]);
    } finally {
      await close(httpServer);
    }
  });

  it('keeps the mount parameters for the handler (mergeParams)', async () => {
    const reply = await request(base, '/orgs/acme/users/u1');
    expect(JSON.parse(reply.body)).toEqual({ orgId: 'acme', userId: 'u1' });
  });

  it('records a 404 without a route and with the fixed metric route', async () => {
    const reply = await request(base, '/nowhere/123');
    expect(reply.status).toBe(404);
    const [span] = await waitForSpans(obs, memory, server('/nowhere/123'));
    expect(span!.name).toBe('GET');
    expect(span!.attributes['http.route']).toBeUndefined();
    expect(span!.attributes['http.response.status_code']).toBe(404);
    expect(span!.status.code).not.toBe(SpanStatusCode.ERROR);
    const point = await durationPoint(obs, memory, 'http.server.request.duration', {
      'http.route': 'unmatched',
      'http.response.status_code': 404,
    });
    expect(point).toBeDefined();
    const line = memory.logs().find((l) => l.path === '/nowhere/123');
    expect(line).toMatchObject({ level: 'warn', route: 'unmatched', status: 404 });
  });

  it.each([
    ['/sync-error', 'Error', 'sync boom'],
    ['/async-error', 'TypeError', 'async boom'],
  ])('marks %s failed with an exception event and passes the error on', async (path, type, message) => {
    const reply = await request(base, path);
    // The app's own error handler still answered: expressErrorHandler passed the error on.
    expect(reply.status).toBe(500);
    expect(JSON.parse(reply.body)).toEqual({ error: message });
    const [span] = await waitForSpans(obs, memory, server(path));
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
    expect(span!.attributes['error.type']).toBe(type);
    expect(span!.attributes['http.response.status_code']).toBe(500);
    const exception = span!.events.find((e) => e.name === 'exception');
    expect(exception?.attributes?.['exception.message']).toBe(message);
    const line = memory.logs().find((l) => l.path === path);
    expect(line).toMatchObject({ level: 'error', status: 500, error_type: type });
  });

  it.each(NOT_OF_THIS_REALM)(
    'records the exception of %s, no Error of this realm, by its type, message and stack',
    async (path, type, message, stack) => {
      expect((await request(base, path)).status).toBe(500);
      const [span] = await waitForSpans(obs, memory, server(path));
      expect(span!.attributes['error.type']).toBe(type);
      expect(exceptionOf(span!)).toEqual([type, message, stack]);
    },
  );

  it('ends the span of a request whose error has a getter that throws, as failed with error.type _OTHER', async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      const reply = await request(base, '/unnamed-error');
      expect(reply.status).toBe(500);
      const [span] = await waitForSpans(obs, memory, server('/unnamed-error'));
      expect(span!.status.code).toBe(SpanStatusCode.ERROR);
      expect(span!.attributes['error.type']).toBe('_OTHER');
      expect(memory.logs().find((l) => l.path === '/unnamed-error')).toMatchObject({ status: 500 });
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    expect(uncaught).toEqual([]);
  });

  it.each(['/late-error', '/late-error-unflushed'])(
    'names an error passed on after the response started by its type, not as the client going away: %s',
    async (path) => {
      const received = await bodyUntilClosed(`${base}${path}`);
      // The client got the answer cut off.
      expect(received.length).toBeLessThan(16 * 1024 * 1024);
      const [span] = await waitForSpans(obs, memory, server(path));
      expect(span!.attributes['http.response.status_code']).toBe(200);
      expect(span!.attributes['error.type']).toBe('RangeError');
      expect(span!.status.code).toBe(SpanStatusCode.ERROR);
      const line = memory.logs().find((l) => l.path === path);
      expect(line).toMatchObject({ level: 'error', status: 200, error_type: 'RangeError' });
    },
  );

  it.each([
    ['/pipe-error', 'TypeError'],
    ['/destroyed', 'response_cut'],
  ])(
    'ends a response the server cuts off after the headers as a server failure, not as the client going away: %s',
    async (path, type) => {
      const received = await bodyUntilClosed(`${base}${path}`);
      expect(received).toBe('first chunk');
      const [span] = await waitForSpans(obs, memory, server(path));
      expect(span!.attributes['http.response.status_code']).toBe(200);
      expect(span!.attributes['error.type']).toBe(type);
      expect(span!.status.code).toBe(SpanStatusCode.ERROR);
      expect(memory.logs().find((l) => l.path === path && l.route)).toMatchObject({
        level: 'error',
        status: 200,
        error_type: type,
      });
    },
  );

  it.each(CUT_OFF_ROUTES)(
    'ends a response cut off before any answer as a server failure: %s',
    async (path, type) => {
      expect(await cutOffUnanswered(obs, memory, base, path)).toEqual(cutOffAsFailure(type));
    },
  );

  it('ends an upload the server cuts off before reading it whole as a server failure, not as the client going away', async () => {
    expect(await unfinishedUpload(`${base}/destroyed-upload`)).toBeUndefined();
    const [span] = await waitForSpans(obs, memory, server('/destroyed-upload'));
    expect([span!.status.code, span!.attributes['error.type']]).toEqual([
      SpanStatusCode.ERROR,
      'response_cut',
    ]);
  });

  it('records an answer flushed whole after an error an error handler took as answered', async () => {
    expect((await bodyUntilClosed(`${base}/swallowing/late-error-unflushed`)).length).toBe(16 * 1024 * 1024);
    const [span] = await waitForSpans(obs, memory, server('/swallowing/late-error-unflushed'));
    expect([span!.attributes['http.response.status_code'], span!.attributes['error.type']]).toEqual([
      200,
      undefined,
    ]);
  });

  it('records the status the client got when an error handler sets another after it was sent', async () => {
    expect((await request(base, '/careless/after-answer')).status).toBe(200);
    await new Promise<void>((resolve) => {
      http
        .get(`${base}/careless/after-start`, { agent: false }, (res) => {
          res.resume();
          res.on('close', resolve);
        })
        .on('error', () => resolve());
    });
    const [answered] = await waitForSpans(obs, memory, server('/careless/after-answer'));
    expect(answered!.attributes['http.response.status_code']).toBe(200);
    expect(answered!.status.code).toBe(SpanStatusCode.UNSET);
    const [started] = await waitForSpans(obs, memory, server('/careless/after-start'));
    expect(started!.attributes['http.response.status_code']).toBe(200);
    expect(memory.logs().find((l) => l.path === '/careless/after-answer')).toMatchObject({ status: 200 });
  });

  it('treats 4xx as success and 5xx as failure on the server span', async () => {
    await request(base, '/bad-request');
    await request(base, '/server-error');
    const [bad] = await waitForSpans(obs, memory, server('/bad-request'));
    const [down] = await waitForSpans(obs, memory, server('/server-error'));
    expect(bad!.status.code).toBe(SpanStatusCode.UNSET);
    expect(down!.status.code).toBe(SpanStatusCode.ERROR);
    expect(down!.attributes['error.type']).toBe('503');
  });

  it('ends the span as aborted when the client goes away', async () => {
    await abortedRequest(base, '/slow', aborted.promise);
    await abortSeen.promise;
    const [span] = await waitForSpans(obs, memory, server('/slow'));
    expect(span!.name).toBe('GET /slow');
    expect(span!.attributes['error.type']).toBe('aborted');
    expect(span!.attributes['http.response.status_code']).toBeUndefined();
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
    const point = await durationPoint(obs, memory, 'http.server.request.duration', {
      'http.route': '/slow',
      'error.type': 'aborted',
    });
    expect(point).toBeDefined();
  });

  it('ends every pipelined request as aborted when the client goes away, the queued ones too', async () => {
    const gone = (method: string) => [`${method} /queued/:n`, 'aborted'];
    const ended = await droppedPipeline(obs, memory, base, held);
    expect(ended).toEqual({ spans: ['GET', 'POST', 'GET'].map(gone), active: 0 });
  });

  it.each(['/events', '/events/flushed'])(
    'records an event stream the client leaves, its normal end, as a 200 without error: %s',
    async (path) => {
      expect(await eventStreamLeft(obs, memory, base, path)).toEqual(EVENT_STREAM_ENDED);
    },
  );

  it('still records an event stream the server cuts off as a server failure', async () => {
    expect(await bodyUntilClosed(`${base}/events/cut`)).toBe('data: first\n\n');
    const [span] = await waitForSpans(obs, memory, server('/events/cut'));
    expect([span!.status.code, span!.attributes['error.type']]).toEqual([
      SpanStatusCode.ERROR,
      'response_cut',
    ]);
  });

  it('records a WebSocket session (express-ws) as a 101 without error when its connection closes, apart from the request latency', async () => {
    const app = express();
    app.use(expressMiddleware());
    const wsServer = createServer(app);
    const { ws } = expressWs(app, wsServer);
    ws('/chat', (socket, req) => {
      if (req.url?.includes('bye')) setImmediate(() => socket.close());
    });
    app.use(expressErrorHandler());
    const wsBase = await listen(wsServer);
    try {
      // A session lasts as long as the WebSocket: the route's request latency leaves it out.
      expect(await closedWebSocketSessions(obs, memory, wsBase, '/chat', '/chat')).toEqual(
        unfailedSessions('GET /chat', '/chat'),
      );
    } finally {
      await close(wsServer);
    }
  });

  it('counts a WebSocket (express-ws) out of http.server.active_requests once its handshake is answered, not for its whole session', async () => {
    const app = express();
    app.use(expressMiddleware());
    const wsServer = createServer(app);
    expressWs(app, wsServer).ws('/feed', () => {});
    const wsBase = await listen(wsServer);
    try {
      expect(await activeDuringWebSocketSession(obs, memory, wsBase, '/feed', '/feed')).toEqual({
        answer: 'HTTP/1.1 101 Switching Protocols',
        whileOpen: { active: 0, ended: 0 },
        afterClose: 0,
      });
    } finally {
      await close(wsServer);
    }
  });

  it('records a WebSocket (express-ws) by the path and route app.ws() was given, which ignore matches', async () => {
    const app = express();
    app.use(expressMiddleware({ ignore: ['/chat'] }));
    const wsServer = createServer(app);
    const { ws } = expressWs(app, wsServer);
    ws('/chat', () => {});
    ws('/rooms/:room', () => {});
    ws('/', () => {});
    const wsBase = await listen(wsServer);
    try {
      await webSocketSession(wsBase, '/chat');
      await webSocketSession(wsBase, '/rooms/42?user=7');
      await webSocketSession(wsBase, '/');
      const spans = await waitForSpans(obs, memory, (s) => s.kind === SpanKind.SERVER, 2);
      expect(spans.map((s) => [s.name, s.attributes['url.path'], s.attributes['http.route']]).sort()).toEqual(
        [
          ['GET /', '/', '/'],
          ['GET /rooms/:room', '/rooms/42', '/rooms/:room'],
        ],
      );
      expect(
        memory
          .logs()
          .flatMap((l) => (l.duration_ms === undefined ? [] : [l.path]))
          .sort(),
      ).toEqual(['/', '/rooms/42']);
    } finally {
      await close(wsServer);
    }
  });

  it('records a WebSocket (express-ws) the app refuses with the status it answered', async () => {
    const app = express();
    app.use(expressMiddleware());
    app.use('/private', (_req: any, res: any) => res.status(401).send('who are you?'));
    const wsServer = createServer(app);
    expressWs(app, wsServer).ws('/private', () => {});
    const wsBase = await listen(wsServer);
    try {
      await webSocketSession(wsBase, '/private', { serverCloses: true });
      const [span] = await waitForSpans(obs, memory, server('/private'));
      expect([span!.status.code, span!.attributes['http.response.status_code']]).toEqual([
        SpanStatusCode.UNSET,
        401,
      ]);
      expect(memory.logs().find((l) => l.path === '/private')).toMatchObject({
        level: 'warn',
        status: 401,
      });
    } finally {
      await close(wsServer);
    }
  });

  it('records a WebSocket session (express-ws) whose handler throws as failed, by the error', async () => {
    const app = express();
    app.use(expressMiddleware());
    const wsServer = createServer(app);
    const { ws } = expressWs(app, wsServer);
    ws('/broken-chat', () => {
      throw new TypeError('bad handler');
    });
    app.use(expressErrorHandler());
    const wsBase = await listen(wsServer);
    try {
      await webSocketSession(wsBase, '/broken-chat');
      const [span] = await waitForSpans(obs, memory, server('/broken-chat'));
      expect([span!.status.code, span!.attributes['error.type']]).toEqual([
        SpanStatusCode.ERROR,
        'TypeError',
      ]);
      expect(memory.logs().find((l) => l.path === '/broken-chat')).toMatchObject({
        level: 'error',
        error_type: 'TypeError',
      });
    } finally {
      await close(wsServer);
    }
  });

  it('names a request by the error its own error handler throws or passes on, which Express answers, when expressErrorHandler() is installed after that handler too', async () => {
    const app = express();
    app.use(expressMiddleware());
    app.get('/page-threw', () => {
      throw Object.assign(new RangeError('bad sku'), { status: 400 });
    });
    app.get('/page-passed', () => {
      throw Object.assign(new RangeError('bad sku'), { status: 400 });
    });
    app.use(expressErrorHandler());
    app.use((err: Error, req: any, res: any, next: (err: unknown) => void) => {
      // An error page that fails, or hands on an error of its own: Express's final handler answers.
      if (req.path === '/page-threw') throw new TypeError(`error page failed: ${err.message}`);
      if (req.path === '/page-passed') return next(new SyntaxError('error template missing'));
      res.status(400).json({ error: err.message });
    });
    app.use(expressErrorHandler());
    const own = createServer(app);
    const ownBase = await listen(own);
    memory.reset();
    try {
      const seen = [];
      // Express's final handler answers with the stack of the error it was handed.
      const answeredFor = (body: string) => /<pre>(\w+)/.exec(body)?.[1];
      for (const path of ['/page-threw', '/page-passed'])
        seen.push(await erroredRequest(obs, memory, ownBase, path, answeredFor));
      expect(seen).toEqual([
        [
          '/page-threw',
          500,
          'TypeError',
          500,
          'TypeError',
          ['RangeError', 'TypeError'],
          'TypeError',
          'TypeError',
        ],
        [
          '/page-passed',
          500,
          'SyntaxError',
          500,
          'SyntaxError',
          ['RangeError', 'SyntaxError'],
          'SyntaxError',
          'SyntaxError',
        ],
      ]);
    } finally {
      await close(own);
    }
  });

  it('ends the span as aborted when the client goes away while sending its body', async () => {
    // The body parser answers 400 'request aborted' to the closed connection.
    await abortedRequest(base, '/uploads', aborted.promise, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': '100' },
      body: '{"sku":',
    });
    await abortSeen.promise;
    const [span] = await waitForSpans(obs, memory, server('/uploads'));
    expect(span!.attributes['error.type']).toBe('aborted');
    expect(span!.attributes['http.response.status_code']).toBeUndefined();
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
    const line = memory.logs().find((l) => l.path === '/uploads');
    expect(line).toMatchObject({ level: 'error', error_type: 'aborted' });
  });

  it("ends the span as a timeout when the server's request timeout cuts off a slow upload", async () => {
    // The rest of the body never comes: Node answers 408 and closes the connection.
    const answer = await unfinishedUpload(`${strictBase}/uploads`);
    expect(answer).toBe(408);
    const [span] = await waitForSpans(obs, memory, server('/uploads'));
    expect(span!.attributes['error.type']).toBe('timeout');
    expect(span!.attributes['http.response.status_code']).toBe(408);
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
  });

  it("ends the span as a timeout, not as the client going away, when the server's idle timeout closes the connection", async () => {
    await request(idleBase, '/slow').catch(() => undefined);
    const [span] = await waitForSpans(obs, memory, server('/slow'));
    expect(span!.attributes['error.type']).toBe('timeout');
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('gives req.log the trace ids inside a mounted app too, and lets a handler replace it', async () => {
    await request(base, '/admin/audit/7');
    const [span] = await waitForSpans(obs, memory, server('/admin/audit/7'));
    const line = memory.logs().find((l) => l.msg === 'mounted app log');
    expect(line).toMatchObject({
      id: '7',
      trace_id: span!.spanContext().traceId,
      span_id: span!.spanContext().spanId,
    });

    const reply = await request(base, '/own-logger');
    expect(JSON.parse(reply.body)).toEqual({ same: true });
    expect(rawLines.some((l) => l.includes('"own logger"'))).toBe(true);
    // The next request gets its own correlated logger again, not the one assigned before.
    await request(base, '/users/8');
    const [next] = await waitForSpans(obs, memory, server('/users/8'));
    expect(memory.logs().find((l) => l.msg === 'loading user' && l.user === '8')?.trace_id).toBe(
      next!.spanContext().traceId,
    );
  });

  it("replaces a req.log a middleware ahead of it set with the request's own, on every request", async () => {
    const earlier = express();
    const stale = { info: () => rawLines.push('stale logger') };
    earlier.use((req: any, _res: any, next: () => void) => {
      req.log = stale;
      next();
    });
    earlier.use(expressMiddleware());
    earlier.get('/early/:n', (req: any, res: any) => {
      req.log.info({ early: req.params.n }, 'early log');
      res.send('ok');
    });
    const earlierServer = createServer(earlier);
    try {
      const earlierBase = await listen(earlierServer);
      for (const n of ['1', '2']) {
        await request(earlierBase, `/early/${n}`);
        const [span] = await waitForSpans(obs, memory, server(`/early/${n}`));
        expect(memory.logs().find((l) => l.msg === 'early log' && l.early === n)?.span_id).toBe(
          span!.spanContext().spanId,
        );
      }
      expect(rawLines).not.toContain('stale logger');
    } finally {
      await close(earlierServer);
    }
  });

  it('keeps 50 concurrent requests apart: distinct traces, each log line naming its own', async () => {
    const ns = Array.from({ length: 50 }, (_, i) => String(i));
    await Promise.all(ns.map((n) => request(base, `/jobs/${n}`)));
    const spans = await waitForSpans(
      obs,
      memory,
      (s) => String(s.attributes['url.path']).startsWith('/jobs/'),
      50,
    );
    const traceByN = new Map(
      spans.map((s) => [String(s.attributes['url.path']).slice(6), s.spanContext().traceId]),
    );
    expect(new Set(traceByN.values()).size).toBe(50);
    const lines = memory.logs();
    for (const msg of ['request log', 'instance log']) {
      const own = lines.filter((l) => l.msg === msg);
      expect(own).toHaveLength(50);
      for (const line of own) expect(line.trace_id).toBe(traceByN.get(String(line.n)));
    }
    // The request logger carries the ids once, not twice (bindings and the mixin).
    const raw = rawLines.filter((l) => l.includes('"request log"'));
    expect(raw.length).toBeGreaterThanOrEqual(50);
    for (const line of raw) expect(line.split('"trace_id"').length - 1).toBe(1);
  });

  it('records the duration histogram per route, with the semantic-convention buckets', async () => {
    await request(base, '/users/1');
    await request(base, '/users/2');
    await request(base, '/orgs/x/users/y');
    const users = await durationPoint(obs, memory, 'http.server.request.duration', {
      'http.route': '/users/:id',
      'http.request.method': 'GET',
      'http.response.status_code': 200,
    });
    expect(users!.unit).toBe('s');
    expect((users!.value as { count: number }).count).toBeGreaterThanOrEqual(2);
    // The semantic conventions' attributes of the metric, and none of the span's per-request ones.
    expect(users!.attributes).toEqual({
      'http.request.method': 'GET',
      'url.scheme': 'http',
      'http.route': '/users/:id',
      'http.response.status_code': 200,
      'network.protocol.version': '1.1',
    });
    const routes = memory
      .metrics()
      .filter((p) => p.name === 'http.server.request.duration')
      .map((p) => p.attributes['http.route']);
    expect(routes).toContain('/orgs/:orgId/users/:userId');
    expect(routes.some((r) => String(r).includes('/users/1'))).toBe(false);
    const active = memory.metrics().find((p) => p.name === 'http.server.active_requests');
    expect(active?.attributes).toMatchObject({ 'http.request.method': 'GET', 'url.scheme': 'http' });
  });

  it('traces a request once when a mounted app has the middleware too', async () => {
    expect((await request(base, '/widgets/3')).status).toBe(200);
    const [span] = await waitForSpans(obs, memory, server('/widgets/3'));
    expect(span!.name).toBe('GET /widgets/:widgetId');
    expect(memory.spans().filter(server('/widgets/3'))).toHaveLength(1);
    expect(memory.logs().filter((l) => l.path === '/widgets/3')).toHaveLength(1);
  });

  it('writes one access-log line per request with the trace ids', async () => {
    await request(base, '/users/99');
    const [span] = await waitForSpans(obs, memory, server('/users/99'));
    const lines = memory.logs().filter((l) => l.path === '/users/99' && l.route !== undefined);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'info',
      method: 'GET',
      route: '/users/:id',
      status: 200,
      trace_id: span!.spanContext().traceId,
      span_id: span!.spanContext().spanId,
    });
    expect(typeof lines[0]!.duration_ms).toBe('number');
  });

  it('leaves ignored paths alone: no span, no metric, no access-log line; req.log is obs.log', async () => {
    for (const path of ['/health', '/internal/metrics', '/skip-me'])
      expect((await request(base, path)).status).toBe(200);
    await request(base, '/users/5');
    await waitForSpans(obs, memory, server('/users/5'));
    const paths = memory.spans().map((s) => s.attributes['url.path']);
    expect(paths).not.toContain('/health');
    expect(paths).not.toContain('/internal/metrics');
    expect(paths).not.toContain('/skip-me');
    expect(
      memory.logs().filter((l) => ['/health', '/internal/metrics', '/skip-me'].includes(String(l.path))),
    ).toEqual([]);
    const routes = memory.metrics().map((p) => p.attributes['http.route']);
    expect(routes).not.toContain('/health');
    const probe = memory.logs().filter((l) => l.probe === 'health');
    expect(probe).toHaveLength(1);
    expect(probe[0]).toMatchObject({ msg: 'health checked' });
    expect(probe[0]!.trace_id).toBeUndefined();
  });
});

describe('expressMiddleware without an Express app', () => {
  it('names the span after the route under a router used on its own, with no req.app', async () => {
    const router = express5.Router();
    router.use(expressMiddleware());
    router.get('/standalone/:id', (_req: any, res: any) => res.end('ok'));
    const httpServer = createServer((req, res) => router(req as any, res as any, () => res.end('404')));
    const base = await listen(httpServer);
    try {
      expect((await request(base, '/standalone/7')).status).toBe(200);
      const [span] = await waitForSpans(obs, memory, server('/standalone/7'));
      expect(span!.name).toBe('GET /standalone/:id');
    } finally {
      await close(httpServer);
    }
  });
});

describe('expressMiddleware options', () => {
  it.each([
    [{ accessLog: { sampleRate: 2 } }, 'SL_ERR_CONFIG_INVALID_VALUE'],
    [{ ignore: [42] }, 'SL_ERR_CONFIG_INVALID_TYPE'],
    [{ sightline: 'nope' }, 'SL_ERR_CONFIG_INVALID_TYPE'],
    [{ ignores: ['/health'] }, 'SL_ERR_CONFIG_UNKNOWN_OPTION'],
  ])('rejects %o at setup with a coded error', (options, code) => {
    expect(() => expressMiddleware(options as never)).toThrow(expect.objectContaining({ code }));
  });

  it('with a sampleRate of 0 writes the access-log lines of failed requests only, and with false none', async () => {
    const accessPaths = (prefix: string) =>
      memory
        .logs()
        .flatMap((l) => (l.duration_ms !== undefined && String(l.path).startsWith(prefix) ? [l.path] : []));
    for (const [prefix, accessLog] of [
      ['/sampled', { sampleRate: 0 }],
      ['/off', false],
    ] as const) {
      const app = express5();
      app.use(expressMiddleware({ accessLog }));
      app.get(`${prefix}/ok`, (_req: any, res: any) => res.send('ok'));
      app.get(`${prefix}/fail`, (_req: any, res: any) => res.status(503).send('down'));
      const httpServer = createServer(app);
      const base = await listen(httpServer);
      try {
        expect((await request(base, `${prefix}/ok`)).status).toBe(200);
        expect((await request(base, `${prefix}/fail`)).status).toBe(503);
        await waitForSpans(obs, memory, server(`${prefix}/fail`));
      } finally {
        await close(httpServer);
      }
    }
    expect(accessPaths('/sampled')).toEqual(['/sampled/fail']);
    expect(accessPaths('/off')).toEqual([]);
  });

  it('passes an error on even when no request is being traced', () => {
    const seen: unknown[] = [];
    const error = new Error('x');
    expressErrorHandler()(error, {} as never, {} as never, (e) => seen.push(e));
    expect(seen).toEqual([error]);
  });
});
