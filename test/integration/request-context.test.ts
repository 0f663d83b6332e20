import { AsyncResource } from 'node:async_hooks';
import http, { createServer, type IncomingMessage, type Server } from 'node:http';
import { type ClientHttp2Session, connect, constants as http2Constants } from 'node:http2';
import net from 'node:net';
import { context, propagation, type SpanContext, SpanKind } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import express5 from 'express';
import express4 from 'express4';
import Fastify, { type FastifyInstance } from 'fastify';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../src/index.js';
import { expressMiddleware } from '../../src/integrations/express/index.js';
import { sightlineFastify } from '../../src/integrations/fastify/index.js';
import { memoryExporter } from '../../src/testing/index.js';
import { close, eventually, listen, request } from './helpers/http-client.js';
import { waitForSpans } from './helpers/telemetry.js';

const memory = memoryExporter();
const obs = init({
  service: 'request-context-test',
  exporters: [memory],
  anomaly: false,
  handleSignals: false,
  logStream: { write: () => {} },
});

// The loopback service the handlers call: it remembers the traceparent each call named.
const calledWith = new Map<string, string | undefined>();
const peer = createServer((req, res) => {
  calledWith.set(String(req.headers['x-request']), req.headers.traceparent as string | undefined);
  res.end('ok');
});
let peerUrl: string;

beforeAll(async () => {
  peerUrl = await listen(peer);
});
afterAll(async () => {
  await close(peer);
  await obs.shutdown();
});

/** Calls the peer as `name`, in whatever context is active. */
function callPeer(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    http
      .get(peerUrl, { agent: false, headers: { 'x-request': name } }, (res) =>
        res.resume().on('end', resolve),
      )
      .on('error', reject);
  });
}

/** The body as a hand-written reader gets it, from the request stream's own events (busboy, multer). */
function readBody(req: IncomingMessage, done: (body: string) => void): void {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => {
    body += chunk;
  });
  req.on('end', () => done(body));
}

/** What a handler does with its request's context: a log line, a span of its own and a call out. */
async function useContext(name: string): Promise<void> {
  obs.log.info({ request: name }, 'handled');
  await obs.trace('work', async (span) => {
    span.setAttribute('request', name);
    await callPeer(name);
  });
}

/** Posts a body in two parts, a moment apart, as a client uploading it does. */
function post(base: string, path: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${base}${path}`,
      { method: 'POST', agent: false, headers: { 'content-type': 'application/x-upload', ...headers } },
      (res) => res.resume().on('end', () => resolve(res.statusCode ?? 0)),
    );
    req.on('error', reject);
    req.write('first part, ');
    setTimeout(() => req.end('second part'), 5);
  });
}

/**
 * Sends 50 uploads at once and checks that what each handler did is in its own request's trace:
 * its log line, its span's parent and its call out's traceparent.
 */
async function checkUploads(
  base: string,
  prefix: string,
  send: (base: string, path: string) => Promise<number> = post,
): Promise<void> {
  const names = Array.from({ length: 50 }, (_, i) => `${prefix}-${i}`);
  const statuses = await Promise.all(names.map((name) => send(base, `/upload/${name}`)));
  expect(statuses.every((s) => s === 200)).toBe(true);
  const servers = await waitForSpans(
    obs,
    memory,
    (s) => s.kind === SpanKind.SERVER && String(s.attributes['url.path']).startsWith(`/upload/${prefix}-`),
    50,
  );
  const works = await waitForSpans(
    obs,
    memory,
    (s) => s.name === 'work' && String(s.attributes.request).startsWith(`${prefix}-`),
    50,
  );
  const misplaced: string[] = [];
  for (const name of names) {
    const server = servers.find((s) => s.attributes['url.path'] === `/upload/${name}`)!.spanContext();
    const work = works.find((s) => s.attributes.request === name)!;
    const line = memory.logs().find((l) => l.request === name && l.msg === 'handled');
    const sent = calledWith.get(name)?.split('-');
    if (line?.trace_id !== server.traceId) misplaced.push(`${name} log line`);
    if (work.parentSpanContext?.spanId !== server.spanId) misplaced.push(`${name} span`);
    const client = memory
      .spans()
      .find((s) => s.kind === SpanKind.CLIENT && s.spanContext().spanId === sent?.[2]);
    if (sent?.[1] !== server.traceId || client?.parentSpanContext?.spanId !== work.spanContext().spanId)
      misplaced.push(`${name} traceparent`);
  }
  expect(misplaced).toEqual([]);
}

describe.each([
  ['Express 5', express5 as unknown as () => any],
  ['Express 4', express4 as unknown as () => any],
])('%s: the request body read from its stream events', (name, express) => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    const app = express();
    app.use(expressMiddleware({ ignore: [/^\/relay\//] }));
    // A body-reading middleware that hands on from the stream's 'end', as multer and busboy do.
    app.use((req: any, _res: any, next: () => void) => {
      readBody(req, (body) => {
        req.uploaded = body;
        next();
      });
    });
    app.post('/upload/:name', async (req: any, res: any) => {
      await useContext(req.params.name);
      res.send(req.uploaded);
    });
    app.post('/relay/:name', async (req: any, res: any) => {
      await callPeer(req.params.name);
      res.send(req.uploaded);
    });
    server = createServer(app);
    base = await listen(server);
  });
  afterAll(() => close(server));

  it('runs the handlers after a middleware that reads the body in the request context', async () => {
    await checkUploads(base, name.replace(' ', ''));
  });

  it("passes the caller's trace on from a request on an ignored path, its body read the same way", async () => {
    const names = Array.from({ length: 20 }, (_, i) => `${name}-relay-${i}`);
    const traceIds = names.map((_, i) => `${String(i).padStart(2, '0')}${'ab'.repeat(15)}`);
    await Promise.all(
      names.map((n, i) =>
        post(base, `/relay/${n}`, { traceparent: `00-${traceIds[i]}-00f067aa0ba902b7-01` }),
      ),
    );
    expect(names.map((n) => calledWith.get(n)?.split('-')[1])).toEqual(traceIds);
  });
});

describe.each([
  ['HTTP/1.1', false],
  ['HTTP/2', true],
])('Fastify over %s: the request body read from its stream events', (protocol, http2) => {
  const app = Fastify({ http2 } as { http2: false });
  let base: string;
  let session: ClientHttp2Session;

  beforeAll(async () => {
    await app.register(sightlineFastify);
    // A content-type parser reading the body itself, which logs and calls out as it ends.
    app.addContentTypeParser('application/x-upload', (request: any, payload, done) => {
      readBody(payload, (body) => {
        useContext(request.params.name).then(() => done(null, body), done);
      });
    });
    app.post('/upload/:name', async (request) => request.body);
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    if (http2) session = connect(base);
  });
  afterAll(async () => {
    session?.close();
    await app.close();
  });

  it('runs a content-type parser reading the body in the request context', async () => {
    // Over HTTP/2 the body comes with neither content-length nor transfer-encoding.
    const send = http2
      ? (_base: string, path: string) =>
          new Promise<number>((resolve, reject) => {
            const stream = session.request({
              ':method': 'POST',
              ':path': path,
              'content-type': 'application/x-upload',
            });
            let status = 0;
            stream.on('response', (headers) => {
              status = Number(headers[':status']);
            });
            stream.on('error', reject);
            stream.resume().on('end', () => resolve(status));
            stream.write('first part, ');
            setTimeout(() => stream.end('second part'), 5);
          })
      : post;
    await checkUploads(base, `Fastify-${protocol.replace('/', '')}`, send);
  });
});

/**
 * A pool written by hand: a freed connection goes to the callback waiting longest, called from the
 * work of the request that freed it.
 */
class HandWrittenPool {
  private readonly waiting: (() => void)[] = [];
  private busy = false;

  acquire(callback: () => void): void {
    if (this.busy) this.waiting.push(callback);
    else {
      this.busy = true;
      setImmediate(callback);
    }
  }

  release(): void {
    const next = this.waiting.shift();
    if (next === undefined) this.busy = false;
    else setTimeout(next, 1);
  }
}

describe('a request on a path ignored by two registrations, one in a mounted app or child plugin', () => {
  /** Posts a body to each of 20 paths with a trace of its own, and names the trace each call out went on. */
  async function relay(base: string, prefix: string): Promise<void> {
    const names = Array.from({ length: 20 }, (_, i) => `${prefix}-${i}`);
    const traceIds = names.map((_, i) => `${String(i).padStart(2, '0')}${'cd'.repeat(15)}`);
    const statuses = await Promise.all(
      names.map((n, i) =>
        post(base, `/relay/${n}`, { traceparent: `00-${traceIds[i]}-00f067aa0ba902b7-01` }),
      ),
    );
    expect(statuses).toEqual(names.map(() => 200));
    expect(names.map((n) => calledWith.get(n)?.split('-')[1])).toEqual(traceIds);
  }

  it("Express: reads its body and passes the caller's trace on", async () => {
    const app = express5();
    app.use(expressMiddleware({ ignore: [/^\/relay\//] }));
    const mounted = express5();
    mounted.use(expressMiddleware({ ignore: [/^\/relay\//] }));
    mounted.post('/relay/:name', (req, res) => {
      readBody(req, (body) => {
        callPeer(req.params.name).then(() => res.send(body));
      });
    });
    app.use(mounted);
    const server = createServer(app);
    const base = await listen(server);
    try {
      await relay(base, 'twice-express');
    } finally {
      await close(server);
    }
  });

  it("Fastify: reads its body and passes the caller's trace on", async () => {
    const app = Fastify();
    await app.register(sightlineFastify, { ignore: [/^\/relay\//] });
    await app.register(async (child) => {
      await child.register(sightlineFastify, { ignore: [/^\/relay\//] });
      child.addContentTypeParser('application/x-upload', (request: any, payload, done) => {
        readBody(payload, (body) => {
          callPeer(request.params.name).then(() => done(null, body), done);
        });
      });
      child.post('/relay/:name', async (request) => request.body);
    });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      await relay(base, 'twice-fastify');
    } finally {
      await app.close();
    }
  });
});

describe('a callback a pool shared by all requests calls from another request (README, Known limits)', () => {
  let server: Server;
  let base: string;
  const pool = new HandWrittenPool();
  let waitingForPool = 0;
  // Pools that keep each call in the context it was made in: two connections for 20 requests.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
  let undiciPool: Pool;

  beforeAll(async () => {
    const app = (express5 as unknown as () => any)();
    app.use(expressMiddleware());
    app.get('/pooled/:name', (req: any, res: any) => {
      const name = req.params.name;
      const bound = AsyncResource.bind(() => obs.log.info({ request: name }, 'bound'));
      waitingForPool++;
      const acquired = new Promise<void>((resolve) =>
        pool.acquire(() => {
          obs.log.info({ request: name }, 'plain');
          req.log.info({ request: name }, 'request log');
          bound();
          resolve();
        }),
      );
      acquired
        .then(() => obs.log.info({ request: name }, 'awaited'))
        .then(() => setTimeout(() => pool.release(), 1))
        .then(() => res.end('ok'));
    });
    app.get('/kept-alive/:name', async (req: any, res: any) => {
      const name = req.params.name;
      await new Promise<void>((resolve, reject) => {
        http
          .get(peerUrl, { agent, headers: { 'x-request': `${name}-agent` } }, (got) =>
            got.resume().on('end', resolve),
          )
          .on('error', reject);
      });
      await (
        await undiciPool.request({ path: '/', method: 'GET', headers: { 'x-request': `${name}-pool` } })
      ).body.text();
      res.end('ok');
    });
    server = createServer(app);
    base = await listen(server);
    undiciPool = new Pool(peerUrl, { connections: 2 });
  });
  afterAll(async () => {
    await close(server);
    agent.destroy();
    await undiciPool.close();
  });

  it("runs in that request's context, but for req.log and a callback bound to its own", async () => {
    const names = Array.from({ length: 20 }, (_, i) => `pooled-${i}`);
    // Taken until all 20 wait for it: each callback is then called from the work of another.
    pool.acquire(() => {});
    const answered = Promise.all(
      names.map(
        (name) =>
          new Promise<void>((resolve, reject) => {
            http
              .get(`${base}/pooled/${name}`, { agent: false }, (res) => res.resume().on('end', resolve))
              .on('error', reject);
          }),
      ),
    );
    await eventually(() => waitingForPool === 20);
    pool.release();
    await answered;
    const servers = await waitForSpans(
      obs,
      memory,
      (s) => s.kind === SpanKind.SERVER && String(s.attributes['url.path']).startsWith('/pooled/'),
      20,
    );
    const own = (msg: string) =>
      names.filter((name) => {
        const traceId = servers
          .find((s) => s.attributes['url.path'] === `/pooled/${name}`)!
          .spanContext().traceId;
        return memory.logs().find((l) => l.request === name && l.msg === msg)?.trace_id === traceId;
      }).length;
    expect(own('plain')).toBe(0);
    expect([own('request log'), own('bound'), own('awaited')]).toEqual([20, 20, 20]);
  });

  it("keeps each call through a keep-alive http.Agent or an undici Pool in its request's trace", async () => {
    const names = Array.from({ length: 20 }, (_, i) => `kept-alive-${i}`);
    await Promise.all(
      names.map(
        (name) =>
          new Promise<void>((resolve, reject) => {
            http
              .get(`${base}/kept-alive/${name}`, { agent: false }, (res) => res.resume().on('end', resolve))
              .on('error', reject);
          }),
      ),
    );
    const servers = await waitForSpans(
      obs,
      memory,
      (s) => s.kind === SpanKind.SERVER && String(s.attributes['url.path']).startsWith('/kept-alive/'),
      20,
    );
    const misplaced = names.flatMap((name) => {
      const traceId = servers
        .find((s) => s.attributes['url.path'] === `/kept-alive/${name}`)!
        .spanContext().traceId;
      return ['agent', 'pool'].filter((via) => calledWith.get(`${name}-${via}`)?.split('-')[1] !== traceId);
    });
    expect(misplaced).toEqual([]);
  });
});

/** Logs, through obs.log, which listener ran for the request `name`. */
const told = (name: string, listener: string) => () => obs.log.info({ request: name, listener }, 'told');

/**
 * Waits until each request at `path` + its name has been told to all the listeners `expected` lists,
 * and returns, by request, those that wrote their line in its trace.
 */
async function toldInContext(
  path: string,
  expected: Record<string, string[]>,
): Promise<Record<string, string[]>> {
  const names = Object.keys(expected);
  const servers = await waitForSpans(
    obs,
    memory,
    (s) => s.kind === SpanKind.SERVER && String(s.attributes['url.path']).startsWith(path),
    names.length,
  );
  return eventually(() => {
    const lines = memory.logs().filter((l) => l.msg === 'told');
    if (names.some((n) => lines.filter((l) => l.request === n).length < expected[n]!.length)) return false;
    return Object.fromEntries(
      names.map((name) => {
        const traceId = servers
          .find((s) => s.attributes['url.path'] === `${path}${name}`)!
          .spanContext().traceId;
        const own = lines.filter((l) => l.request === name && l.trace_id === traceId);
        return [name, own.map((l) => String(l.listener)).sort()];
      }),
    );
  });
}

describe('a client that goes away before its answer (README, Known limits)', () => {
  let server: Server;
  let base: string;
  const fastify = Fastify();
  let fastifyBase: string;
  const came = new Set<string>();

  beforeAll(async () => {
    const app = (express5 as unknown as () => any)();
    app.use(expressMiddleware());
    app.all('/left/:name', (req: any, res: any) => {
      const name = req.params.name;
      req.on('close', told(name, 'request close'));
      req.on('aborted', told(name, 'request aborted'));
      res.on('close', told(name, 'response close'));
      came.add(name);
    });
    server = createServer(app);
    base = await listen(server);

    await fastify.register(sightlineFastify);
    // A parser that waits for a body the client never finishes.
    fastify.addContentTypeParser('application/x-upload', (request: any, payload, _done) => {
      payload.resume();
      came.add(request.params.name);
    });
    fastify.route({
      method: ['GET', 'POST'],
      url: '/left/:name',
      onRequestAbort: (request: any, done: () => void) => {
        told(request.params.name, 'onRequestAbort')();
        done();
      },
      handler: (request: any) => {
        came.add(request.params.name);
        return new Promise(() => {});
      },
    });
    fastifyBase = await fastify.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    server.closeAllConnections();
    await close(server);
    await fastify.close();
  });

  /** Sends a GET, or a POST announcing a body it sends only the start of, and goes away unanswered. */
  async function leave(at: string, name: string, withBody: boolean): Promise<void> {
    const req = http.request(`${at}/left/${name}`, {
      method: withBody ? 'POST' : 'GET',
      agent: false,
      headers: withBody ? { 'content-type': 'application/x-upload', 'content-length': '100' } : {},
    });
    req.on('error', () => {});
    if (withBody) req.write('first part');
    else req.end();
    await eventually(() => came.has(name));
    req.destroy();
  }

  it("tells the listeners of a request's stream in its context while its body comes in, else outside", async () => {
    const cases = [
      [base, 'express-body', true],
      [base, 'express-bodyless', false],
      [fastifyBase, 'fastify-body', true],
      [fastifyBase, 'fastify-bodyless', false],
    ] as const;
    for (const [at, name, withBody] of cases) await leave(at, name, withBody);
    const inContext = await toldInContext('/left/', {
      'express-body': ['request aborted', 'request close', 'response close'],
      'express-bodyless': ['request aborted', 'request close', 'response close'],
      'fastify-body': ['onRequestAbort'],
      'fastify-bodyless': ['onRequestAbort'],
    });
    expect(inContext).toEqual({
      'express-body': ['request aborted', 'request close'],
      'express-bodyless': [],
      'fastify-body': ['onRequestAbort'],
      'fastify-bodyless': [],
    });
  });
});

describe('a response whose end Node reports from outside its request (pipelined, HTTP/2)', () => {
  /** What runs once the response has gone: a listener on its 'finish', and the work it starts. */
  const afterAnswer = (name: string) => () => {
    obs.log.info({ request: name }, 'finished');
    setTimeout(() => obs.log.info({ request: name }, 'later'), 1);
    callPeer(`${name}-after`).catch(() => {});
  };
  /** Answers after a wait that differs between requests, so some are done while others wait. */
  const pause = (name: string) =>
    new Promise((resolve) => setTimeout(resolve, (Number(name.at(-1)) * 7) % 5));

  /** Sends the requests pipelined on one connection and resolves once all have been answered. */
  function pipelined(base: string, paths: string[]): Promise<void> {
    const socket = net.connect(Number(new URL(base).port), '127.0.0.1');
    socket.setEncoding('latin1');
    let got = '';
    return new Promise((resolve, reject) => {
      socket.on('data', (chunk: string) => {
        got += chunk;
        if (got.split('HTTP/1.1 200').length > paths.length && got.endsWith('ok')) {
          socket.end();
          resolve();
        }
      });
      socket.on('error', reject);
      socket.write(paths.map((path) => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`).join(''));
    });
  }

  /** Sends the requests at once as streams of one HTTP/2 session, and resolves once all have been answered. */
  async function overHttp2(base: string, paths: string[]): Promise<void> {
    const session = connect(base);
    try {
      await Promise.all(
        paths.map(
          (path) =>
            new Promise<void>((resolve, reject) => {
              const stream = session.request({ ':path': path });
              stream.on('error', reject);
              stream.resume().on('end', resolve);
              stream.end();
            }),
        ),
      );
    } finally {
      session.close();
    }
  }

  async function check(
    base: string,
    prefix: string,
    messages: string[],
    send: (base: string, paths: string[]) => Promise<void> = pipelined,
  ): Promise<void> {
    const names = Array.from({ length: 10 }, (_, i) => `${prefix}-${i}`);
    await send(
      base,
      names.map((name) => `/queued/${name}`),
    );
    const servers = await waitForSpans(
      obs,
      memory,
      (s) => s.kind === SpanKind.SERVER && String(s.attributes['url.path']).startsWith(`/queued/${prefix}-`),
      names.length,
    );
    const misplaced = await eventually(() => {
      const found = names.flatMap((name) => {
        const traceId = servers
          .find((s) => s.attributes['url.path'] === `/queued/${name}`)!
          .spanContext().traceId;
        const lines = messages.map((msg) => memory.logs().find((l) => l.request === name && l.msg === msg));
        const sent = calledWith.get(`${name}-after`);
        if (sent === undefined || lines.includes(undefined)) return [undefined];
        return [
          ...messages.filter((_, i) => lines[i]!.trace_id !== traceId),
          ...(sent.split('-')[1] === traceId ? [] : ['call']),
        ].map((what) => `${name} ${what}`);
      });
      return found.includes(undefined) ? false : found;
    });
    expect(misplaced).toEqual([]);
  }

  it.each([
    ['Express 5', express5 as unknown as () => any],
    ['Express 4', express4 as unknown as () => any],
  ])("%s: runs the response's listeners in its own request's context", async (name, express) => {
    const app = express();
    app.use(expressMiddleware());
    app.get('/queued/:name', async (req: any, res: any) => {
      await pause(req.params.name);
      res.on('finish', afterAnswer(req.params.name));
      res.send('ok');
    });
    const server = createServer(app);
    const base = await listen(server);
    try {
      await check(base, name.replace(' ', ''), ['finished', 'later']);
    } finally {
      await close(server);
    }
  });

  it.each([
    ['HTTP/1.1 pipelined', false, pipelined],
    ['HTTP/2', true, overHttp2],
  ])(
    "Fastify over %s: runs the response's listeners and the onResponse hooks in its request's context",
    async (protocol, http2, send) => {
      const fastify = Fastify({ http2 } as { http2: false });
      await fastify.register(sightlineFastify);
      fastify.addHook('onResponse', async (request: any) => {
        obs.log.info({ request: request.params.name }, 'onResponse');
      });
      fastify.get('/queued/:name', async (request: any, reply) => {
        await pause(request.params.name);
        reply.raw.on('finish', afterAnswer(request.params.name));
        return 'ok';
      });
      const base = await fastify.listen({ port: 0, host: '127.0.0.1' });
      try {
        await check(
          base,
          `Fastify-${protocol.split(' ')[0]!.replace('/', '')}`,
          ['finished', 'later', 'onResponse'],
          send,
        );
      } finally {
        await fastify.close();
      }
    },
  );

  it("Express and Fastify: run an ignored path's handler, queued behind a traced one, in the context a hook ahead gave it", async () => {
    // A middleware or onRequest hook ahead of sightline's that puts the tenant in the baggage of what follows.
    const withTenant = (name: unknown, next: () => void) => {
      const baggage = propagation.createBaggage({ tenant: { value: String(name) } });
      context.with(propagation.setBaggage(context.active(), baggage), next);
    };
    const seen: Record<string, string | undefined> = {};
    const see = (name: unknown) => {
      seen[String(name)] = propagation.getBaggage(context.active())?.getEntry('tenant')?.value;
    };
    const express = (express5 as unknown as () => any)();
    express.use((req: any, _res: any, next: () => void) => withTenant(req.query.name, next));
    express.use(expressMiddleware({ ignore: ['/health'] }));
    express.get('/queued/:name', async (req: any, res: any) => {
      await pause(req.params.name);
      res.send('ok');
    });
    express.get('/health', (req: any, res: any) => {
      see(req.query.name);
      res.send('ok');
    });
    const server = createServer(express);
    const fastify = Fastify();
    fastify.addHook('onRequest', (request: any, _reply, done) => withTenant(request.query.name, done));
    await fastify.register(sightlineFastify, { ignore: ['/health'] });
    fastify.get('/queued/:name', async (request: any) => {
      await pause(request.params.name);
      return 'ok';
    });
    fastify.get('/health', (request: any, reply) => {
      see(request.query.name);
      reply.send('ok');
    });
    try {
      const bases = [await listen(server), await fastify.listen({ port: 0, host: '127.0.0.1' })];
      const names = bases.flatMap((_, i) => [`tenant-${i}-1`, `tenant-${i}-2`, `tenant-${i}-3`]);
      for (const [i, base] of bases.entries()) {
        const own = names.filter((name) => name.startsWith(`tenant-${i}-`));
        await pipelined(
          base,
          own.flatMap((name) => [`/queued/ahead-${name}-9?name=ahead`, `/health?name=${name}`]),
        );
      }
      expect(seen).toEqual(Object.fromEntries(names.map((name) => [name, name])));
    } finally {
      await close(server);
      await fastify.close();
    }
  });

  it("Express and Fastify: run an ignored path's response, queued behind a traced one, outside its trace", async () => {
    const checks = Array.from({ length: 5 }, (_, i) => `health-${i}`);
    const health = (name: string) => () => obs.log.info({ request: name }, 'checked');
    const express = (express5 as unknown as () => any)();
    express.use(expressMiddleware({ ignore: ['/health'] }));
    express.get('/queued/:name', async (req: any, res: any) => {
      await pause(req.params.name);
      res.send('ok');
    });
    express.get('/health', (req: any, res: any) => {
      res.on('finish', health(String(req.query.name)));
      res.send('ok');
    });
    const server = createServer(express);
    const fastify = Fastify();
    await fastify.register(sightlineFastify, { ignore: ['/health'] });
    fastify.get('/queued/:name', async (request: any) => {
      await pause(request.params.name);
      return 'ok';
    });
    fastify.get('/health', (request: any, reply) => {
      reply.raw.on('finish', health(request.query.name));
      reply.send('ok');
    });
    try {
      const bases = [await listen(server), await fastify.listen({ port: 0, host: '127.0.0.1' })];
      for (const [i, base] of bases.entries()) {
        // Each check behind a traced request that answers later than it would.
        const paths = checks.flatMap((name) => [`/queued/ahead${i}-9`, `/health?name=${name}-${i}`]);
        await pipelined(base, paths);
      }
      const lines = await eventually(() => {
        const found = memory.logs().filter((l) => l.msg === 'checked');
        return found.length === checks.length * 2 && found;
      });
      expect(lines.filter((l) => l.trace_id !== undefined).map((l) => l.request)).toEqual([]);
    } finally {
      await close(server);
      await fastify.close();
    }
  });
  it("Fastify over HTTP/2: runs a handler's listeners on its request's close and aborted in its context", async () => {
    const fastify = Fastify({ http2: true });
    await fastify.register(sightlineFastify);
    const came = new Set<string>();
    fastify.route({
      method: 'GET',
      url: '/closing/:name',
      onRequestAbort: (request: any, done: () => void) => {
        told(request.params.name, 'onRequestAbort')();
        done();
      },
      handler: (request: any, reply) => {
        const name = request.params.name;
        request.raw.on('close', told(name, 'request close'));
        request.raw.on('aborted', told(name, 'request aborted'));
        reply.raw.on('close', told(name, 'response close'));
        came.add(name);
        // The one left is never answered: its client cancels it.
        if (name !== 'h2-left') reply.send('ok');
      },
    });
    const base = await fastify.listen({ port: 0, host: '127.0.0.1' });
    const session = connect(base);
    try {
      await overHttp2(base, ['/closing/h2-answered']);
      const left = session.request({ ':path': '/closing/h2-left' });
      left.on('error', () => {});
      left.end();
      await eventually(() => came.has('h2-left'));
      left.close(http2Constants.NGHTTP2_CANCEL);
      const expected = {
        'h2-answered': ['request close', 'response close'],
        'h2-left': ['onRequestAbort', 'request aborted', 'request close', 'response close'],
      };
      const inContext = await toldInContext('/closing/', expected);
      expect(inContext).toEqual(expected);
    } finally {
      session.close();
      await fastify.close();
    }
  });
});

/** What a handler does with the context it runs in: a log line and a span of its own. */
function bootWork(name: string): void {
  obs.log.info({ request: name }, 'handled');
  obs.trace('work', (span) => {
    span.setAttribute('request', name);
  });
}

interface Started {
  base: string;
  boot: SpanContext;
  stop: () => Promise<void>;
}

/** Calls the service as a client that names no trace: a load balancer's health check. */
function send(base: string, path: string, body?: string): Promise<number> {
  const options =
    body === undefined ? {} : { method: 'POST', body, headers: { 'content-type': 'application/json' } };
  return context.with(
    suppressTracing(context.active()),
    async () => (await request(base, path, options)).status,
  );
}

async function expressApp(): Promise<Started> {
  const app = (express5 as unknown as () => any)();
  app.use(expressMiddleware({ ignore: ['/health'] }));
  app.get('/health', (req: any, res: any) => {
    bootWork(String(req.query.name));
    res.send('ok');
  });
  // A body read from the request stream's own events, as multer or busboy read it.
  app.post('/health', (req: any, res: any) => {
    req.resume().on('end', () => {
      bootWork(String(req.query.name));
      res.send('ok');
    });
  });
  app.get('/orders/:name', (req: any, res: any) => {
    bootWork(req.params.name);
    res.send('ok');
  });
  const server: Server = createServer(app);
  const [base, boot] = await obs.trace(
    'boot',
    async (span) => [await listen(server), span.spanContext()] as const,
  );
  return { base, boot, stop: () => close(server) };
}

async function fastifyApp(): Promise<Started> {
  const fastify: FastifyInstance = Fastify();
  await fastify.register(sightlineFastify, { ignore: ['/health'] });
  fastify.get('/health', async (request: any) => {
    bootWork(String(request.query.name));
    return 'ok';
  });
  fastify.post('/health', async (request: any) => {
    bootWork(String(request.query.name));
    return 'ok';
  });
  fastify.get('/orders/:name', async (request: any) => {
    bootWork(request.params.name);
    return 'ok';
  });
  const [base, boot] = await obs.trace(
    'boot',
    async (span) => [await fastify.listen({ port: 0, host: '127.0.0.1' }), span.spanContext()] as const,
  );
  return { base, boot, stop: () => fastify.close() };
}

describe.each([
  ['Express', expressApp],
  ['Fastify', fastifyApp],
])('%s: a server started inside a span', (name, start) => {
  it("runs an ignored path's handler in no trace, and a traced one in its own", async () => {
    const { base, boot, stop } = await start();
    try {
      const health = `boot-${name}-health`;
      const upload = `boot-${name}-upload`;
      const orders = `boot-${name}-orders`;
      expect(await send(base, `/health?name=${health}`)).toBe(200);
      expect(await send(base, `/health?name=${upload}`, '{"status":"up"}')).toBe(200);
      expect(await send(base, `/orders/${orders}`)).toBe(200);
      const [server] = await waitForSpans(
        obs,
        memory,
        (s) => s.kind === SpanKind.SERVER && s.attributes['url.path'] === `/orders/${orders}`,
        1,
      );
      const works = await waitForSpans(
        obs,
        memory,
        (s) => s.name === 'work' && String(s.attributes.request).startsWith(`boot-${name}-`),
        3,
      );
      const lines = await eventually(() => {
        const found = memory.logs().filter((l) => String(l.request).startsWith(`boot-${name}-`));
        return found.length === 3 && found;
      });
      const healthWork = works.find((s) => s.attributes.request === health)!;
      const uploadWork = works.find((s) => s.attributes.request === upload)!;
      const ordersWork = works.find((s) => s.attributes.request === orders)!;
      const traced = server!.spanContext();
      expect({
        healthSpanParent: healthWork.parentSpanContext?.spanId,
        healthSpanInBoot: healthWork.spanContext().traceId === boot.traceId,
        healthLine: lines.find((l) => l.request === health)!.trace_id,
        uploadSpanParent: uploadWork.parentSpanContext?.spanId,
        uploadLine: lines.find((l) => l.request === upload)!.trace_id,
        ordersServerParent: server!.parentSpanContext?.spanId,
        ordersServerInBoot: traced.traceId === boot.traceId,
        ordersSpanParent: ordersWork.parentSpanContext?.spanId === traced.spanId,
        ordersLine: lines.find((l) => l.request === orders)!.trace_id === traced.traceId,
      }).toEqual({
        healthSpanParent: undefined,
        healthSpanInBoot: false,
        healthLine: undefined,
        uploadSpanParent: undefined,
        uploadLine: undefined,
        ordersServerParent: undefined,
        ordersServerInBoot: false,
        ordersSpanParent: true,
        ordersLine: true,
      });
    } finally {
      await stop();
    }
  });
});
