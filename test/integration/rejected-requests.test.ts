import { readFileSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { init } from '../../src/index.js';
import { expressMiddleware } from '../../src/integrations/express/index.js';
import { sightlineFastify } from '../../src/integrations/fastify/index.js';
import { watchRejectedRequests } from '../../src/integrations/shared/rejected-requests.js';
import { memoryExporter } from '../../src/testing/index.js';
import {
  close,
  listen,
  MALFORMED,
  OVERSIZE_HEADERS,
  rawAnswer,
  rawExchange,
  request,
  STALLED_HEADERS,
} from './helpers/http-client.js';

const memory = memoryExporter();
const obs = init({
  service: 'rejected-requests-test',
  exporters: [memory],
  outbound: false,
  anomaly: false,
  handleSignals: false,
  logStream: { write: () => {} },
});

afterAll(() => obs.shutdown());

/** Node checks its header and request timeouts every 30 s by default: every 50 ms here. */
const TIMEOUTS = { connectionsCheckingInterval: 50, headersTimeout: 200, requestTimeout: 300 };

/** The rejections counted, by error.type whatever their scheme, after a flush. */
async function rejected(): Promise<Record<string, number>> {
  await obs.forceFlush();
  const counted: Record<string, number> = {};
  for (const p of memory.metrics()) {
    if (p.name !== 'http.server.rejected_requests') continue;
    const type = String(p.attributes['error.type']);
    counted[type] = (counted[type] ?? 0) + (p.value as number);
  }
  return counted;
}

/**
 * Sends a malformed request, one with headers too large and one whose headers never end, and
 * resolves with the status line each got and the rejections counted meanwhile.
 */
async function refusals(base: string) {
  const before = await rejected();
  const answers = [
    await rawExchange(base, MALFORMED),
    await rawExchange(base, OVERSIZE_HEADERS),
    await rawExchange(base, STALLED_HEADERS),
  ];
  return { answers, counted: await countedSince(before) };
}

/** The rejections counted since `before`, by error.type. */
async function countedSince(before: Record<string, number>): Promise<Record<string, number>> {
  const after = await rejected();
  return Object.fromEntries(
    Object.entries(after)
      .map(([type, n]) => [type, n - (before[type] ?? 0)])
      .filter(([, n]) => n !== 0),
  );
}

/** An Express app traced by sightline on a server of `options`, whose first request it has seen. */
async function expressServer(options: http.ServerOptions = {}) {
  const app = express();
  app.use(expressMiddleware());
  app.get('/ok', (_req, res) => {
    res.send('ok');
  });
  const server = http.createServer(options, app);
  const base = await listen(server);
  // Express is given no server: its first request names it.
  expect((await request(base, '/ok')).status).toBe(200);
  return { server, base };
}

/** A Fastify app of `options` traced by sightline, listening. */
async function fastifyServer(options: { http2?: true; https?: http2.SecureServerOptions } = {}) {
  // Fastify's typings pick one server type from literal options; this serves either.
  const app = Fastify(options as Record<string, never>);
  await app.register(sightlineFastify);
  app.get('/ok', async () => 'ok');
  return { app, base: await app.listen({ host: '127.0.0.1', port: 0 }) };
}

const COUNTED = { HPE_INVALID_HEADER_TOKEN: 1, HPE_HEADER_OVERFLOW: 1, ERR_HTTP_REQUEST_TIMEOUT: 1 };

describe('requests the HTTP server refuses before any handler runs', () => {
  it('Express: counts them by error.type, the client getting Node’s own answers', async () => {
    const { server, base } = await expressServer(TIMEOUTS);
    expect(await refusals(base)).toEqual({
      answers: [
        'HTTP/1.1 400 Bad Request',
        'HTTP/1.1 431 Request Header Fields Too Large',
        'HTTP/1.1 408 Request Timeout',
      ],
      counted: COUNTED,
    });
    await close(server);
  });

  it('Express: counts them beside the app’s own clientError listener, which alone answers', async () => {
    const app = express();
    app.use(expressMiddleware());
    app.get('/ok', (_req, res) => {
      res.send('ok');
    });
    const server = http.createServer(TIMEOUTS, app);
    server.on('clientError', (_error, socket) => socket.end('HTTP/1.1 400 Refused By App\r\n\r\n'));
    const base = await listen(server);
    expect((await request(base, '/ok')).status).toBe(200);
    expect(await refusals(base)).toEqual({
      answers: ['HTTP/1.1 400 Refused By App', 'HTTP/1.1 400 Refused By App', 'HTTP/1.1 400 Refused By App'],
      counted: COUNTED,
    });
    await close(server);
  });

  it('Fastify: counts them by error.type, the client getting Fastify’s answers', async () => {
    const app = Fastify({
      serverFactory: (handler) => http.createServer(TIMEOUTS, handler),
    });
    await app.register(sightlineFastify);
    app.get('/ok', async () => 'ok');
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    expect(await refusals(base)).toEqual({
      answers: [
        'HTTP/1.1 400 Bad Request',
        'HTTP/1.1 431 Request Header Fields Too Large',
        'HTTP/1.1 408 Request Timeout',
      ],
      counted: COUNTED,
    });
    await app.close();
  });

  it('counts neither a client that resets an idle connection nor a slow upload its request records', async () => {
    const app = express();
    app.use(expressMiddleware());
    app.post('/upload', (req, res) => {
      req.resume().on('end', () => res.send('ok'));
    });
    const server = http.createServer(TIMEOUTS, app);
    const base = await listen(server);
    const before = await rejected();
    const { port } = server.address() as AddressInfo;
    // A kept-alive connection the client resets once answered.
    await new Promise<void>((resolve) => {
      const agent = new http.Agent({ keepAlive: true });
      http.get(`${base}/upload`, { agent }, (res) => {
        res.resume().on('end', () => {
          const [socket] = Object.values(agent.sockets).flat();
          socket?.resetAndDestroy();
          setTimeout(resolve, 50);
        });
      });
    });
    // An upload whose body never comes whole: its request times out, as its span tells.
    const upload = http.request({
      host: '127.0.0.1',
      port,
      path: '/upload',
      method: 'POST',
      headers: { 'content-length': '100' },
    });
    upload.on('error', () => {});
    upload.write('part');
    await new Promise((resolve) => upload.on('close', resolve));
    expect(await rejected()).toEqual(before);
    await close(server);
  });

  it('counts by the request the connection was reading: not an answered upload’s body, a request piped behind one', async () => {
    const app = express();
    app.use(expressMiddleware());
    // Turned away before its body is read, as an auth check does.
    app.post('/upload', (_req, res) => {
      res.status(401).send('no');
    });
    app.get('/slow', (_req, res) => {
      setTimeout(() => res.send('slow'), 100);
    });
    const server = http.createServer(TIMEOUTS, app);
    const base = await listen(server);
    const { port } = server.address() as AddressInfo;
    const before = await rejected();
    // The upload's body goes on coming, too slowly to be whole in time: the app answered it.
    const upload = net.connect(port, '127.0.0.1');
    upload.on('error', () => {});
    upload.write('POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\npart');
    const trickle = setInterval(() => upload.writable && upload.write('x'), 50);
    await new Promise((resolve) => upload.on('close', resolve));
    clearInterval(trickle);
    // A malformed request sent behind one the app is still answering: never handed to the app.
    expect(await rawExchange(base, `GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n${MALFORMED}`)).toBe(
      'HTTP/1.1 400 Bad Request',
    );
    expect(await countedSince(before)).toEqual({ HPE_INVALID_HEADER_TOKEN: 1 });
    await close(server);
  });
});

const TLS = {
  cert: readFileSync(new URL('../fixtures/tls/intake-cert.pem', import.meta.url)),
  key: readFileSync(new URL('../fixtures/tls/intake-key.pem', import.meta.url)),
};

/** The schemes the rejections of `type` were counted under. */
async function schemesOf(type: string): Promise<string[]> {
  await obs.forceFlush();
  return memory
    .metrics()
    .filter((p) => p.name === 'http.server.rejected_requests' && p.attributes['error.type'] === type)
    .map((p) => String(p.attributes['url.scheme']));
}

describe('requests an HTTP/2 server refuses before any handler runs', () => {
  it('Fastify over HTTP/2 with allowHTTP1: counts the HTTP/1 requests refused, Fastify answering', async () => {
    const { app, base } = await fastifyServer({ http2: true, https: { ...TLS, allowHTTP1: true } });
    const before = await rejected();
    expect([
      await rawExchange(base, MALFORMED, ['http/1.1']),
      await rawExchange(base, OVERSIZE_HEADERS, ['http/1.1']),
    ]).toEqual(['HTTP/1.1 400 Bad Request', 'HTTP/1.1 431 Request Header Fields Too Large']);
    expect(await countedSince(before)).toEqual({ HPE_INVALID_HEADER_TOKEN: 1, HPE_HEADER_OVERFLOW: 1 });
    expect(await schemesOf('HPE_HEADER_OVERFLOW')).toContain('https');
    await app.close();
  });

  it('a node:http2 server with allowHTTP1 and no listener of its own: counts them, answering as Node', async () => {
    const server = http2.createSecureServer({ ...TLS, allowHTTP1: true }, (_req, res) => res.end('ok'));
    watchRejectedRequests(server, () => obs);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const before = await rejected();
    expect([
      await rawExchange(base, MALFORMED, ['http/1.1']),
      await rawExchange(base, OVERSIZE_HEADERS, ['http/1.1']),
      // A handshake that fails is no request: dropped as Node drops it, and not counted.
      await rawExchange(base.replace('https:', 'http:'), 'not TLS\r\n\r\n'),
    ]).toEqual(['HTTP/1.1 400 Bad Request', 'HTTP/1.1 431 Request Header Fields Too Large', undefined]);
    expect(await countedSince(before)).toEqual({ HPE_INVALID_HEADER_TOKEN: 1, HPE_HEADER_OVERFLOW: 1 });
    await new Promise((resolve) => server.close(resolve));
  });

  it('Fastify over cleartext HTTP/2: counts a connection without HTTP/2’s preface and a header block too large, not a client that goes', async () => {
    const app = Fastify({ http2: true });
    await app.register(sightlineFastify);
    app.get('/ok', async () => 'ok');
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    const before = await rejected();
    // An HTTP/1 request sent to a server that speaks HTTP/2 only: Node answers with a GOAWAY.
    await rawExchange(base, MALFORMED);
    // A request answered, and a client that resets its session: no refusal.
    const session = http2.connect(base);
    const stream = session.request({ ':path': '/ok' });
    stream.resume();
    await new Promise((resolve) => stream.on('end', resolve));
    session.destroy();
    // A header block too large for the session: nghttp2 ends it with a protocol error.
    const big = http2.connect(base, { maxSendHeaderBlockLength: 10_000_000 });
    big.on('error', () => {});
    const refused = big.request({ ':path': '/ok', 'x-big': 'ab'.repeat(1_000_000) });
    refused.on('error', () => {});
    await new Promise((resolve) => big.on('close', resolve));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await countedSince(before)).toEqual({ NGHTTP2_ERR_BAD_CLIENT_MAGIC: 1, NGHTTP2_ERR_PROTO: 1 });
    expect(await schemesOf('NGHTTP2_ERR_BAD_CLIENT_MAGIC')).toEqual(['http']);
    expect(await schemesOf('unknown_protocol')).toEqual([]);
    await app.close();
  });

  it('Fastify over HTTP/2 on TLS alone: counts a client that offers no HTTP/2, keeping Node’s 403', async () => {
    // Node holds the refused connection open this long once it has answered.
    const app = Fastify({ http2: true, https: { ...TLS, unknownProtocolTimeout: 100 } });
    await app.register(sightlineFastify);
    app.get('/ok', async () => 'ok');
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    const before = await rejected();
    expect([
      // No protocol offered: Node's 'unknownProtocol' answer.
      await rawExchange(base, MALFORMED),
      // HTTP/1.1 alone offered: refused in the handshake.
      await rawExchange(base, MALFORMED, ['http/1.1']),
    ]).toEqual(['HTTP/1.0 403 Forbidden', undefined]);
    expect(await countedSince(before)).toEqual({
      unknown_protocol: 1,
      ERR_SSL_NO_APPLICATION_PROTOCOL: 1,
    });
    await app.close();
  });
});

/** An HTTP/1.1 request expecting what no server knows, which Node answers 417 before any handler. */
const UNKNOWN_EXPECTATION =
  'GET /ok HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: cookies\r\nConnection: close\r\n\r\n';

/** All a server answered `bytes` with, its Date line left out. */
async function wholeAnswer(base: string, bytes: string): Promise<string> {
  return (await rawAnswer(base, bytes)).replace(/\r\nDate: [^\r]*/, '');
}

/** The :status an HTTP/2 request with `headers` is answered, and whether a handler saw it. */
async function http2Status(base: string, headers: http2.OutgoingHttpHeaders): Promise<unknown> {
  const session = http2.connect(base);
  try {
    const stream = session.request({ ':path': '/ok', ...headers });
    stream.resume();
    const [response] = await once(stream, 'response');
    await once(stream, 'close');
    return response[':status'];
  } finally {
    session.close();
  }
}

describe('a request whose Expect header no server knows', () => {
  it('Express over HTTP/1: counted, the client getting Node’s own 417, byte for byte', async () => {
    const bare = http.createServer((_req, res) => res.end('ok'));
    const bareBase = await listen(bare);
    const app = express();
    app.use(expressMiddleware());
    app.get('/ok', (_req, res) => {
      res.send('ok');
    });
    const server = http.createServer(app);
    const base = await listen(server);
    expect((await request(base, '/ok')).status).toBe(200);
    const before = await rejected();
    const answered = await wholeAnswer(base, UNKNOWN_EXPECTATION);
    expect(answered.split('\r\n')[0]).toBe('HTTP/1.1 417 Expectation Failed');
    expect(answered).toBe(await wholeAnswer(bareBase, UNKNOWN_EXPECTATION));
    // A client waiting for 100 Continue is answered by the app.
    expect((await request(base, '/ok', { headers: { expect: '100-continue' } })).status).toBe(200);
    expect(await countedSince(before)).toEqual({ '417': 1 });
    await close(server);
    await close(bare);
  });

  it('Fastify over HTTP/2: counted, the client getting Node’s 417', async () => {
    const app = Fastify({ http2: true });
    await app.register(sightlineFastify);
    app.get('/ok', async () => 'ok');
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    const before = await rejected();
    expect(await http2Status(base, { expect: 'cookies' })).toBe(417);
    expect(await http2Status(base, {})).toBe(200);
    expect(await countedSince(before)).toEqual({ '417': 1 });
    await app.close();
  });

  it('not counted when the app checks expectations itself, which then answers', async () => {
    const server = http.createServer((_req, res) => res.end('ok'));
    server.on('checkExpectation', (_req, res) => res.end('checked'));
    watchRejectedRequests(server, () => obs);
    const base = await listen(server);
    const before = await rejected();
    expect(await wholeAnswer(base, UNKNOWN_EXPECTATION)).toMatch(/^HTTP\/1.1 200 OK\r\n[\s\S]*checked$/);
    expect(await countedSince(before)).toEqual({});
    await close(server);
  });
});

describe('a request over the number a connection may carry (maxRequestsPerSocket)', () => {
  it('Express: counted, the client getting Node’s own 503', async () => {
    const app = express();
    app.use(expressMiddleware());
    app.get('/ok', (_req, res) => {
      res.send('ok');
    });
    const server = http.createServer(app);
    server.maxRequestsPerSocket = 1;
    const base = await listen(server);
    expect((await request(base, '/ok')).status).toBe(200);
    const before = await rejected();
    const answered = await rawAnswer(
      base,
      'GET /ok HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /ok HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n',
    );
    expect([...answered.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1])).toEqual(['200', '503']);
    expect(await countedSince(before)).toEqual({ '503': 1 });
    await close(server);
  });
});

describe('two copies of sightline on one server (its ESM and CommonJS builds, or two versions)', () => {
  /** A second copy of the module, as the other build of the package loads it. */
  async function secondCopy() {
    vi.resetModules();
    return import('../../src/integrations/shared/rejected-requests.js');
  }

  /** The status line answered, or 'left open' when the connection is still open a second later. */
  function answer(base: string): Promise<string | undefined> {
    return Promise.race([
      rawExchange(base, MALFORMED),
      new Promise<string>((resolve) => setTimeout(resolve, 1000, 'left open')),
    ]);
  }

  it('answers a refused request as Node does, once, and counts it once', async () => {
    const server = http.createServer((_req, res) => res.end('ok'));
    watchRejectedRequests(server, () => obs);
    (await secondCopy()).watchRejectedRequests(server, () => obs);
    const base = await listen(server);
    const before = await rejected();
    expect(await answer(base)).toBe('HTTP/1.1 400 Bad Request');
    const after = await rejected();
    expect((after.HPE_INVALID_HEADER_TOKEN ?? 0) - (before.HPE_INVALID_HEADER_TOKEN ?? 0)).toBe(1);
    await close(server);
  });

  it('answers once a copy that keeps watched servers apart listens too', async () => {
    const server = http.createServer((_req, res) => res.end('ok'));
    watchRejectedRequests(server, () => undefined);
    // A copy of another version, which does not share the first one's record of servers watched.
    const slots = Object.getOwnPropertySymbols(globalThis).filter((s) =>
      String(s.description).includes('rejected'),
    );
    const kept = slots.map((s) => [s, (globalThis as Record<symbol, unknown>)[s]] as const);
    for (const s of slots) delete (globalThis as Record<symbol, unknown>)[s];
    try {
      (await secondCopy()).watchRejectedRequests(server, () => undefined);
    } finally {
      for (const [s, v] of kept) (globalThis as Record<symbol, unknown>)[s] = v;
    }
    const base = await listen(server);
    expect(await answer(base)).toBe('HTTP/1.1 400 Bad Request');
    await close(server);
  });
});

/** A tunnel asked for: Node closes the connection when the server has no 'connect' listener. */
const TUNNEL = 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n';
/** HTTP/2's connection preface, sent to a server that speaks HTTP/1 alone. */
const HTTP2_PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';

/** What Node answers each of `requests` with on a server with no listener of sightline's. */
async function nodeAnswers(requests: string[]): Promise<string[]> {
  const bare = http.createServer((_req, res) => res.end('ok'));
  const base = await listen(bare);
  const answers = [];
  for (const bytes of requests) answers.push(await wholeAnswer(base, bytes));
  await close(bare);
  return answers;
}

describe('a tunnel (CONNECT) no connect listener takes', () => {
  const requests = [TUNNEL, HTTP2_PREFACE];

  it('Express: counted, as HTTP/2’s preface is, the client getting Node’s own answers', async () => {
    const { server, base } = await expressServer();
    const before = await rejected();
    const answers = [];
    for (const bytes of requests) answers.push(await wholeAnswer(base, bytes));
    expect(answers).toEqual(await nodeAnswers(requests));
    expect(await countedSince(before)).toEqual({ unhandled_connect: 1, HPE_PAUSED_H2_UPGRADE: 1 });
    await close(server);
  });

  it('Fastify over HTTP/1: counted, as HTTP/2’s preface is, Fastify answering that one', async () => {
    const { app, base } = await fastifyServer();
    const before = await rejected();
    expect(await rawAnswer(base, TUNNEL)).toBe('');
    expect(await rawExchange(base, HTTP2_PREFACE)).toBe('HTTP/1.1 400 Bad Request');
    expect(await countedSince(before)).toEqual({ unhandled_connect: 1, HPE_PAUSED_H2_UPGRADE: 1 });
    await app.close();
  });

  it('Fastify over HTTP/2 with allowHTTP1: counted over both, HTTP/2’s answered 405 as by Node', async () => {
    const { app, base } = await fastifyServer({ http2: true, https: { ...TLS, allowHTTP1: true } });
    const before = await rejected();
    expect(await rawAnswer(base, TUNNEL, ['http/1.1'])).toBe('');
    const session = http2.connect(base, { rejectUnauthorized: false });
    const stream = session.request({ ':method': 'CONNECT', ':authority': 'example.com:443' });
    stream.on('error', () => {});
    const [response] = await once(stream, 'response');
    // A tunnel's stream stays open until its client ends it.
    session.destroy();
    expect(response[':status']).toBe(405);
    expect(await countedSince(before)).toEqual({ unhandled_connect: 1, '405': 1 });
    expect(await schemesOf('unhandled_connect')).toContain('https');
    await app.close();
  });

  it('left to the app’s own connect listener, uncounted', async () => {
    const server = http.createServer((_req, res) => res.end('ok'));
    watchRejectedRequests(server, () => obs);
    server.on('connect', (_req, socket: net.Socket) =>
      socket.end('HTTP/1.1 200 Connection Established\r\n\r\n'),
    );
    const base = await listen(server);
    const before = await rejected();
    expect(await rawAnswer(base, TUNNEL)).toBe('HTTP/1.1 200 Connection Established\r\n\r\n');
    expect(await countedSince(before)).toEqual({});
    await close(server);
  });
});

/** An HTTP/2 frame of `type` on stream `id`. */
function h2Frame(type: number, flags: number, id: number, payload = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(id, 5);
  return Buffer.concat([head, payload]);
}

/**
 * Opens `count` streams at once on a cleartext HTTP/2 connection, as a client that ignores the
 * server's settings does, and resolves with the codes of the RST_STREAM frames it got.
 */
async function streamsAtOnce(base: string, count: number, ms = 5000): Promise<number[]> {
  const { port } = new URL(base);
  const socket = net.connect(Number(port), '127.0.0.1');
  socket.on('error', () => {});
  // GET http://127.0.0.1/ok, in HPACK: static table entries and a literal authority.
  const get = Buffer.concat([
    Buffer.from([0x82, 0x86, 0x44, 3]),
    Buffer.from('/ok'),
    Buffer.from([0x41, 9]),
    Buffer.from('127.0.0.1'),
  ]);
  const frames = [Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), h2Frame(4, 0, 0)];
  // HEADERS with END_STREAM and END_HEADERS, each on a stream of its own.
  for (let i = 0; i < count; i++) frames.push(h2Frame(1, 0x5, 1 + 2 * i, get));
  socket.write(Buffer.concat(frames));
  const resets: number[] = [];
  let received = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
    while (received.length >= 9 && received.length >= 9 + received.readUIntBE(0, 3)) {
      if (received[3] === 3) resets.push(received.readUInt32BE(9));
      received = received.subarray(9 + received.readUIntBE(0, 3));
    }
  });
  // A session nghttp2 ends is closed by the server; one it keeps is left after `ms`.
  await Promise.race([once(socket, 'close'), new Promise((resolve) => setTimeout(resolve, ms))]);
  socket.destroy();
  return resets;
}

describe('HTTP/2 streams nghttp2 refuses itself', () => {
  it('a node:http2 server: streams past maxConcurrentStreams are refused unseen; a client that goes on has its session ended, counted', async () => {
    const server = http2.createServer({ settings: { maxConcurrentStreams: 1 } }, (_req, res) => {
      setTimeout(() => res.end('ok'), 100);
    });
    watchRejectedRequests(server, () => obs);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const before = await rejected();
    // REFUSED_STREAM (7), by nghttp2 alone: JavaScript hears nothing of it.
    expect(await streamsAtOnce(base, 3, 300)).toEqual([7, 7]);
    expect(await countedSince(before)).toEqual({});
    await streamsAtOnce(base, 1200);
    expect(await countedSince(before)).toEqual({ ERR_HTTP2_TOO_MANY_INVALID_FRAMES: 1 });
    await new Promise((resolve) => server.close(resolve));
  });

  it('a node:http2 server: streams past maxSessionMemory are refused unseen; past maxSessionRejectedStreams the session is ended, counted', async () => {
    // Streams held open until their session ends, so that they fill its memory.
    const server = http2.createServer({ maxSessionMemory: 1 }, () => {});
    watchRejectedRequests(server, () => obs);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const before = await rejected();
    const resets = await streamsAtOnce(base, 5000);
    // ENHANCE_YOUR_CALM (11) for each refused, the 101st ending the session.
    expect(resets.filter((code) => code === 11).length).toBeGreaterThan(100);
    expect(await countedSince(before)).toEqual({ ERR_HTTP2_ERROR: 1 });
    await new Promise((resolve) => server.close(resolve));
  });
});
