import {
  type ClientRequest,
  createServer,
  type IncomingMessage,
  request,
  type ServerResponse,
} from 'node:http';
import http2 from 'node:http2';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_REDACT_KEYS, getSightline } from '../../../src/index.js';
import { startCaptured } from '../../helpers/capture.js';

afterEach(async () => {
  await getSightline()?.shutdown();
});

const SECRET = 'sentinel-secret-value-123';

/** Sends one request to a loopback server whose handler sees it before the response ends. */
async function serveOnce(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  path: string,
  headers: Record<string, string> = {},
): Promise<void> {
  const server = createServer((req, res) => {
    handler(req, res);
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  try {
    await new Promise<void>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path, headers }, (res) => {
        res.resume();
        res.on('end', resolve);
      })
        .on('error', reject)
        .end();
    });
  } finally {
    server.close();
  }
}

/** `inside` under `levels` objects, each holding the next as `n`. */
function buried(levels: number, inside: object): object {
  let value = inside;
  for (let i = 0; i < levels; i++) value = { n: value };
  return value;
}

describe('redaction, on by default', () => {
  it.each(DEFAULT_REDACT_KEYS)('hides %s at the top level, nested, and under headers, in logs', (key) => {
    const { obs, lines } = startCaptured();
    obs.log.info(
      {
        [key]: SECRET,
        req: { headers: { [key]: SECRET, accept: 'json' } },
        deep: { a: { [key.toUpperCase()]: SECRET } },
      },
      'x',
    );
    expect(lines.join('')).not.toContain(SECRET);
    const line = JSON.parse(lines[0] ?? '{}');
    expect(line[key]).toBe('[Redacted]');
    expect(line.req.headers.accept).toBe('json');
  });

  it('hides headers of a request object, but does not walk the graph behind its socket', () => {
    // Prepare: an object graph shaped like IncomingMessage's, with a getter on the socket's handle.
    class Handle {}
    class Socket {
      handle = new Handle();
    }
    class Request {
      headers = { authorization: SECRET, accept: 'json' };
      socket = new Socket();
    }
    const req = new Request();
    let reads = 0;
    Object.defineProperty(req.socket.handle, 'fd', {
      enumerable: true,
      get: () => ++reads,
    });
    const { obs, lines } = startCaptured();

    // Act
    obs.log.info({ req }, 'top level');
    obs.log.info({ ctx: { req } }, 'nested');

    // Assess
    expect(lines.join('')).not.toContain(SECRET);
    expect(JSON.parse(lines[0] ?? '{}').req.headers).toEqual({ authorization: '[Redacted]', accept: 'json' });
    expect(JSON.parse(lines[1] ?? '{}').ctx.req.headers.authorization).toBe('[Redacted]');
    // Only pino's own serialisation read the handle, once per line: the redactor stayed out.
    expect(reads).toBe(2);
  });

  it('hides keys inside arrays, and in an object met twice or through a cycle', () => {
    const { obs, lines } = startCaptured();
    const users = [{ name: 'ada', password: SECRET }, 'plain', 7];
    const shared = { token: SECRET, kept: 1 };
    const cyclic: Record<string, unknown> = { secret: SECRET };
    cyclic.self = cyclic;

    obs.log.info({ users, grid: [[{ apiKey: SECRET }]] }, 'arrays');
    obs.log.info({ a: { x: shared }, b: { y: shared } }, 'shared');
    obs.log.info({ cyclic }, 'cycle');
    obs.log.info(cyclic, 'cycle at the top');

    expect(lines.join('')).not.toContain(SECRET);
    const [arrays, twice, cycle, top] = lines.map((l) => JSON.parse(l));
    expect(arrays.users).toEqual([{ name: 'ada', password: '[Redacted]' }, 'plain', 7]);
    expect(arrays.grid).toEqual([[{ apiKey: '[Redacted]' }]]);
    expect(twice.b.y).toEqual({ token: '[Redacted]', kept: 1 });
    expect(cycle.cyclic).toEqual({ secret: '[Redacted]', self: '[Circular]' });
    expect(top.self).toEqual({ secret: '[Redacted]', self: '[Circular]' });
    expect(users[0]).toEqual({ name: 'ada', password: SECRET });
  });

  it('hides keys in an object met twice, deep first and then near the top', () => {
    const { obs, lines } = startCaptured();
    const shared = { x: { y: { password: SECRET } } };
    // Met first where its password is past the 32 levels walked, then where it is within them.
    obs.log.info({ a: buried(30, shared), shared }, 'deep, then shallow');
    expect(JSON.parse(lines[0] ?? '{}').shared).toEqual({ x: { y: { password: '[Redacted]' } } });
  });

  it('hides keys at any depth, and writes what is nested more than 32 levels deep as [Object] or [Array]', () => {
    const { obs, lines } = startCaptured();
    const at = (line: Record<string, any>, levels: number) => {
      let value = line;
      for (let i = 0; i < levels; i++) value = value.n;
      return value;
    };

    obs.log.info({ a: { b: { c: { d: { e: { password: SECRET, kept: 1 } } } } } }, 'five levels');
    obs.log.info(buried(32, { token: SECRET, list: [{ secret: SECRET }] }), 'at the limit');
    obs.log.info(buried(33, { token: SECRET }), 'past it');

    expect(lines.join('')).not.toContain(SECRET);
    const [five, limit, past] = lines.map((l) => JSON.parse(l));
    expect(five.a.b.c.d.e).toEqual({ password: '[Redacted]', kept: 1 });
    expect(at(limit, 32)).toEqual({ token: '[Redacted]', list: '[Array]' });
    expect(at(past, 32)).toEqual({ n: '[Object]' });
  });

  it('writes an object with toJSON as its JSON, redacted, never as a copy of its fields', () => {
    class User {
      name = 'ada';
      token = SECRET;
      ssn = 'SSN-000-11-2222';
      toJSON() {
        return { name: this.name, session: { token: this.token } };
      }
    }
    const { obs, lines } = startCaptured();
    obs.log.info({ user: new User() }, 'field');
    obs.log.info({ users: [new User()] }, 'array');
    obs.log.info('user %j', new User());
    obs.log.info({ when: new Date(0) }, 'date');
    const text = lines.join('');
    expect(text).not.toContain('SSN-000');
    expect(text).not.toContain(SECRET);
    const [field, array, , date] = lines.map((l) => JSON.parse(l));
    expect(field.user).toEqual({ name: 'ada', session: { token: '[Redacted]' } });
    expect(array.users).toEqual([{ name: 'ada', session: { token: '[Redacted]' } }]);
    expect(date.when).toBe('1970-01-01T00:00:00.000Z');
  });

  it('hides keys in child bindings, on every line of the child and its children', () => {
    const { obs, lines } = startCaptured();
    const child = obs.log.child({ token: SECRET, user: { id: 7, password: SECRET } });
    child.info('child');
    child.child({ session: { cookie: SECRET } }).warn('grandchild');

    expect(lines).toHaveLength(2);
    expect(lines.join('')).not.toContain(SECRET);
    const grandchild = JSON.parse(lines[1] ?? '{}');
    expect(grandchild).toMatchObject({ token: '[Redacted]', user: { id: 7, password: '[Redacted]' } });
    expect(grandchild.session).toEqual({ cookie: '[Redacted]' });
  });

  it('hides keys in the lines of a child with its own log formatter, in what the formatter adds too', () => {
    const { obs, lines } = startCaptured();
    const withTenant = (obj: object) => ({ ...obj, tenant: { id: 't-1', apiKey: SECRET } });
    const child = obs.log.child({ job: 'sync' }, { formatters: { log: withTenant } });
    child.info({ token: SECRET }, 'fast path');
    child.info({ password: SECRET }, 'interpolated %s', 'value');
    child.child({ step: 2 }).warn({ secret: SECRET }, 'grandchild');

    expect(lines).toHaveLength(3);
    expect(lines.join('')).not.toContain(SECRET);
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({
      job: 'sync',
      token: '[Redacted]',
      tenant: { id: 't-1', apiKey: '[Redacted]' },
    });
  });

  it('hides keys in bindings added later with setBindings, as a request handler adds the user it authenticated', () => {
    const { obs, lines } = startCaptured();
    const requestLog = obs.log.child({ requestId: 'r-1' });
    requestLog.setBindings({ user: { id: 7, token: SECRET } });
    requestLog.info('authenticated');
    obs.log.setBindings({ apiKey: SECRET });
    obs.log.child({ job: 'sync' }).info('started');

    expect(lines.join('')).not.toContain(SECRET);
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({
      requestId: 'r-1',
      user: { id: 7, token: '[Redacted]' },
    });
    expect(JSON.parse(lines[1] ?? '{}')).toMatchObject({ apiKey: '[Redacted]', job: 'sync' });

    const unreadable = Object.defineProperty({}, 'user', {
      enumerable: true,
      get() {
        throw new Error('getter that throws');
      },
    });
    expect(() => requestLog.setBindings(unreadable)).not.toThrow();
    requestLog.info('bindings kept');
    expect(JSON.parse(lines[2] ?? '{}')).toMatchObject({ requestId: 'r-1', user: { token: '[Redacted]' } });
    expect(obs.drops().log_error).toBe(1);
  });

  it('hides keys in objects the message writes out: %o, %O, %j, or an object as the message', () => {
    const { obs, lines } = startCaptured();
    const login = { user: 'ada', password: SECRET };
    const shown = { toString: () => 'shown as text', token: SECRET };

    obs.log.info('login %o', login);
    obs.log.warn({ attempt: 2 }, 'login %O from %s, %j', login, 'eu', [login]);
    obs.log.error({ attempt: 3 }, login as never);
    obs.log.info('100%% sure: %s then %j', shown, login);

    expect(lines).toHaveLength(4);
    expect(lines.join('')).not.toContain(SECRET);
    const [first, second, third, fourth] = lines.map((l) => JSON.parse(l).msg);
    expect(first).toBe(`login {"user":"ada","password":"[Redacted]"}`);
    expect(second).toBe(
      `login {"user":"ada","password":"[Redacted]"} from eu, [{"user":"ada","password":"[Redacted]"}]`,
    );
    expect(third).toEqual({ user: 'ada', password: '[Redacted]' });
    // %s writes String(value), as pino does: the object's own text, not its fields.
    expect(fourth).toBe(`100% sure: shown as text then {"user":"ada","password":"[Redacted]"}`);
    expect(login.password).toBe(SECRET);
  });

  it('writes a real request and response as pino’s summary, with their headers redacted', async () => {
    // Prepare: a loopback server logging the request and response it is handed.
    const { obs, lines } = startCaptured();
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      res.setHeader('set-cookie', `sid=${SECRET}`);
      obs.log.info({ req, res }, 'top level');
      obs.log.info({ ctx: { req } }, 'nested');
      obs.log.child({ req }).info('bound');
      obs.log.info(req, 'as the line');
    };

    // Act
    await serveOnce(handler, '/orders?page=2', { Authorization: `Bearer ${SECRET}`, 'x-request-id': 'r-1' });

    // Assess: no secret, no rawHeaders, and no socket dragging the server into the line.
    const all = lines.join('');
    expect(all).not.toContain(SECRET);
    expect(all).not.toContain('rawHeaders');
    expect(all).not.toContain('_readableState');
    const [top, nested, bound, line] = lines.map((l) => JSON.parse(l));
    expect(top.req).toMatchObject({
      method: 'GET',
      url: '/orders?page=2',
      remoteAddress: '127.0.0.1',
      headers: { authorization: '[Redacted]', 'x-request-id': 'r-1' },
    });
    expect(top.res.headers).toEqual({ 'set-cookie': '[Redacted]' });
    expect(nested.ctx.req.headers.authorization).toBe('[Redacted]');
    expect(bound.req.headers.authorization).toBe('[Redacted]');
    expect(line.req).toMatchObject({
      url: '/orders?page=2',
      remoteAddress: '127.0.0.1',
      headers: { authorization: '[Redacted]' },
    });
  });

  it('writes an outgoing request as a summary with its headers redacted, also inside an HTTP client’s error', async () => {
    // Prepare: a request sent to a loopback server, held by an error as HTTP clients (axios) hold it.
    const { obs, lines } = startCaptured({ outbound: false });
    const server = createServer((_req, res) => {
      res.statusCode = 500;
      res.end('failed');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const headers = { Authorization: `Bearer ${SECRET}`, 'x-api-key': SECRET, accept: 'json' };
    let sent: ClientRequest | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        sent = request({ host: '127.0.0.1', port, path: `/v1/items?api_key=${SECRET}`, headers }, (res) => {
          res.resume();
          res.on('end', resolve);
        }).on('error', reject);
        sent.end();
      });
    } finally {
      server.close();
    }
    const err = Object.assign(new Error('Request failed with status code 500'), {
      request: sent,
      response: { status: 500, request: sent },
    });

    // Act
    obs.log.error({ err }, 'upstream failed');
    obs.log.error({ upstream: { request: sent } }, 'nested');

    // Assess
    expect(lines.join('')).not.toContain(SECRET);
    const [failed, nested] = lines.map((l) => JSON.parse(l));
    const summary = {
      method: 'GET',
      host: '127.0.0.1',
      path: '/v1/items?api_key=[Redacted]',
      headers: {
        authorization: '[Redacted]',
        'x-api-key': '[Redacted]',
        accept: 'json',
        host: `127.0.0.1:${port}`,
      },
    };
    expect(failed.err.request).toEqual(summary);
    expect(failed.err.response.request).toEqual(summary);
    expect(nested.upstream.request).toEqual(summary);
  });

  it('writes a response an error holds as its summary, without the cookies it set', async () => {
    // Prepare: a response from a loopback server, held by an error as HTTP clients (got) hold it.
    const { obs, lines } = startCaptured({ outbound: false });
    const server = createServer((_req, res) => {
      res.setHeader('set-cookie', `sid=${SECRET}`);
      res.statusCode = 500;
      res.end('failed');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    let response: IncomingMessage | undefined;
    try {
      response = await new Promise<IncomingMessage>((resolve, reject) => {
        request({ host: '127.0.0.1', port, path: '/v1/items' }, (res) => {
          res.resume();
          res.on('end', () => resolve(res));
        })
          .on('error', reject)
          .end();
      });
    } finally {
      server.close();
    }
    const err = Object.assign(new Error('Response code 500 (Internal Server Error)'), { response });

    // Act
    obs.log.error({ err }, 'upstream failed');

    // Assess
    expect(lines.join('')).not.toContain(SECRET);
    expect(lines.join('')).not.toContain('rawHeaders');
    expect(JSON.parse(lines[0] ?? '{}').err.response.headers['set-cookie']).toBe('[Redacted]');
  });

  it('hides the values of sensitive query parameters in a request’s URL, and of signed URLs’ keys', async () => {
    const { obs, lines } = startCaptured({ redact: ['session'] });
    const path = `/files?page=2&token=${SECRET}&X-Goog-Signature=${SECRET}&api%5Fkey=${SECRET}&Session=${SECRET}&sig=${SECRET}`;
    await serveOnce((req) => {
      obs.log.info({ req }, 'request');
      obs.log.info(req, 'as the line');
    }, path);
    expect(lines.join('')).not.toContain(SECRET);
    const clean =
      '/files?page=2&token=[Redacted]&X-Goog-Signature=[Redacted]&api%5Fkey=[Redacted]&Session=[Redacted]&sig=[Redacted]';
    expect(lines.map((l) => JSON.parse(l).req.url)).toEqual([clean, clean]);
  });

  it.each(DEFAULT_REDACT_KEYS)('hides %s in span attributes, bare and as an http header attribute', (key) => {
    const { obs, memory } = startCaptured();
    obs.trace('op', (span) => {
      span.setAttribute(key, SECRET);
      span.setAttribute(`http.request.header.${key}`, SECRET);
      span.setAttribute('http.route', '/ok');
    });
    const [span] = memory.spans();
    expect(span?.attributes[key]).toBe('[Redacted]');
    expect(span?.attributes[`http.request.header.${key}`]).toBe('[Redacted]');
    expect(span?.attributes['http.route']).toBe('/ok');
  });

  it('hides sensitive keys in span event and link attributes', () => {
    const { obs, memory } = startCaptured({ redact: ['cardNumber'] });
    obs.trace('op', (span) => {
      span.addEvent('login', { token: SECRET, 'http.request.header.authorization': SECRET, user: 'ada' });
      span.addLink({ context: span.spanContext(), attributes: { cardNumber: SECRET, kept: 1 } });
    });
    const [span] = memory.spans();
    expect(span?.events[0]?.attributes).toEqual({
      token: '[Redacted]',
      'http.request.header.authorization': '[Redacted]',
      user: 'ada',
    });
    expect(span?.links[0]?.attributes).toEqual({ cardNumber: '[Redacted]', kept: 1 });
  });

  it('hides the credentials and query secrets of a URL in any span, event or link attribute, arrays included', () => {
    const { obs, memory } = startCaptured({ maxAttributeLength: 80 });
    obs.trace('op', (span) => {
      span.setAttributes({
        'db.connection_string': `postgres://app:${SECRET}@db/orders`,
        'http.url': `https://api.example.com/v1/items?page=2&token=${SECRET}`,
        'peer.urls': [`https://${SECRET}@github.com/org/repo.git`, 'https://cdn.example.com/a.js', 'plain'],
        'long.url': `https://a.io/x?token=${SECRET}&more=${'p'.repeat(60)}`,
        note: 'no url here',
      });
      span.addEvent('retry', { target: `redis://default:${SECRET}@cache:6379/0` });
      span.addLink({ context: span.spanContext(), attributes: { from: `amqp://guest:${SECRET}@mq/vhost` } });
    });
    const [span] = memory.spans();
    expect(JSON.stringify({ a: span?.attributes, e: span?.events, l: span?.links })).not.toContain(SECRET);
    expect(span?.attributes).toMatchObject({
      'db.connection_string': 'postgres://[Redacted]:[Redacted]@db/orders',
      'http.url': 'https://api.example.com/v1/items?page=2&token=[Redacted]',
      'peer.urls': ['https://[Redacted]@github.com/org/repo.git', 'https://cdn.example.com/a.js', 'plain'],
      note: 'no url here',
    });
    // Cut by the SDK one character over the limit, its secret whole: redacted, then counted as cut.
    expect(span?.attributes['long.url']).toBe(`https://a.io/x?token=[Redacted]&more=${'p'.repeat(29)}`);
    expect(span?.events[0]?.attributes).toEqual({ target: 'redis://[Redacted]:[Redacted]@cache:6379/0' });
    expect(span?.links[0]?.attributes).toEqual({ from: 'amqp://[Redacted]:[Redacted]@mq/vhost' });
    expect(obs.drops().truncated_attribute).toBe(1);
  });

  it('hides what a value cut at maxAttributeLength keeps of a URL whose @ it lost: no start of a password', () => {
    const { obs, memory } = startCaptured({ maxAttributeLength: 32 });
    // Cut 17 characters into the password, before the @ that shows it is one.
    const dsn = `postgres://app:${SECRET}@db/orders`;
    obs.trace('op', (span) => {
      span.setAttributes({
        'db.connection_string': dsn,
        'peer.urls': [`https://ghp_${SECRET}@github.com/org/repo.git`, 'plain'],
        'http.url': `https://api.example.com/v1/${'p'.repeat(40)}`,
      });
      span.addEvent('retry', { target: `retrying ${dsn}` });
      span.addLink({ context: span.spanContext(), attributes: { from: dsn } });
    });
    const [span] = memory.spans();
    expect(JSON.stringify({ a: span?.attributes, e: span?.events, l: span?.links })).not.toContain(
      'sentinel',
    );
    expect(span?.attributes).toMatchObject({
      'db.connection_string': 'postgres://[Redacted]',
      'peer.urls': ['https://[Redacted]', 'plain'],
      // Cut in its path: the host is whole, with no user name or password before it.
      'http.url': `https://api.example.com/v1/${'p'.repeat(5)}`,
    });
    expect(span?.events[0]?.attributes).toEqual({ target: 'retrying postgres://[Redacted]' });
    expect(span?.links[0]?.attributes).toEqual({ from: 'postgres://[Redacted]' });
    expect(obs.drops().truncated_attribute).toBe(5);
  });

  it('hides what a cut keeps of a URL whose @ it lost in obs.trace options too, counted once', () => {
    const { obs, memory } = startCaptured({ maxAttributeLength: 32 });
    // Cut 17 characters into the password, before the @ that shows it is one.
    const dsn = `postgres://app:${SECRET}@db/orders`;
    obs.trace(
      'op',
      { attributes: { 'db.connection_string': dsn, 'peer.urls': [`https://ghp_${SECRET}@github.com/x`] } },
      () => undefined,
    );
    const [span] = memory.spans();
    expect(JSON.stringify(span?.attributes)).not.toContain('sentinel');
    expect(span?.attributes).toEqual({
      'db.connection_string': 'postgres://[Redacted]',
      'peer.urls': ['https://[Redacted]'],
    });
    expect(obs.drops().truncated_attribute).toBe(2);
  });

  it('keeps a value whose cut URL authority is hidden within maxAttributeLength', () => {
    // New Relic refuses OTLP values over 4,095 characters, the limit its docs set the SDK to.
    const { obs, memory } = startCaptured({ maxAttributeLength: 32 });
    // The cut falls just after the scheme: the marker is longer than what it replaces.
    const text = `${'x'.repeat(21)}postgres://app:${SECRET}@db/orders`;
    obs.trace('op', (span) => {
      span.setAttributes({ 'db.statement': text, 'db.statements': [text] });
    });
    const [span] = memory.spans();
    const value = span?.attributes['db.statement'] as string;
    const values = span?.attributes['db.statements'] as string[];
    expect(value.length).toBeLessThanOrEqual(32);
    expect(values[0]?.length).toBeLessThanOrEqual(32);
    expect(value).toBe(`${'x'.repeat(21)}postgres://`);
  });

  it('hides the password and query secrets of a URL an exception quotes, in its event and the span’s status', () => {
    const { obs, memory } = startCaptured();
    const message = `GET https://deploy:${SECRET}@example.com/v1?page=2&token=${SECRET}`;
    expect(() =>
      obs.trace('op', () => {
        throw new Error(message);
      }),
    ).toThrow(message);
    const [span] = memory.spans();
    expect(JSON.stringify({ events: span?.events, status: span?.status })).not.toContain(SECRET);
    const clean = 'GET https://[Redacted]:[Redacted]@example.com/v1?page=2&token=[Redacted]';
    expect(span?.events[0]?.attributes?.['exception.message']).toBe(clean);
    expect(span?.events[0]?.attributes?.['exception.stacktrace']).toContain(`Error: ${clean}`);
    expect(span?.status.message).toBe(clean);
  });

  it('hides the user’s own keys and paths', () => {
    const { obs, lines } = startCaptured({ redact: ['cardNumber', 'order.customer.email'] });
    obs.log.info({ cardNumber: SECRET, order: { id: 'o-1', customer: { email: SECRET, name: 'Ada' } } }, 'x');
    expect(lines.join('')).not.toContain(SECRET);
    const line = JSON.parse(lines[0] ?? '{}');
    expect(line.order).toEqual({ id: 'o-1', customer: { email: '[Redacted]', name: 'Ada' } });
  });

  it('keeps hiding the user’s paths in a child given redact paths of its own, as a library makes one', () => {
    const { obs, lines } = startCaptured({ redact: ['order.customer.email'] });
    const order = { id: 'o-1', customer: { email: SECRET, name: 'Ada' } };
    obs.log.child({ lib: 'payments' }, { redact: ['card'] }).info({ order, card: SECRET }, 'charged');
    const child = obs.log.child({}, { redact: { paths: ['card'], censor: '***' } });
    child.child({ step: 2 }).info({ order, card: SECRET }, 'refunded');

    expect(lines).toHaveLength(2);
    expect(lines.join('')).not.toContain(SECRET);
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({
      order: { customer: { email: '[Redacted]', name: 'Ada' } },
      card: '[Redacted]',
    });
    expect(JSON.parse(lines[1] ?? '{}')).toMatchObject({ card: '***' });
  });

  it('hides keys in what a child’s own serializer returns, read from deep inside a class instance', () => {
    const { obs, lines } = startCaptured();
    // A framework's context: instances of its classes, the request's headers three levels down.
    class Request {
      headers = { accept: 'json', authorization: `Bearer ${SECRET}` };
    }
    class Context {
      request = new Request();
      state = { user: { id: 7 } };
    }
    const serializers = {
      ctx: (ctx: Context) => ({ headers: ctx.request.headers, user: ctx.state.user }),
      session: () => `https://ada:${SECRET}@db.internal/orders`,
    };
    const child = obs.log.child({ lib: 'web' }, { serializers });
    child.info({ ctx: new Context(), session: 's-1' }, 'handled');
    child.child({ step: 2 }).warn({ ctx: new Context() }, 'grandchild');

    expect(lines).toHaveLength(2);
    expect(lines.join('')).not.toContain(SECRET);
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({
      ctx: { headers: { accept: 'json', authorization: '[Redacted]' }, user: { id: 7 } },
      session: 'https://[Redacted]:[Redacted]@db.internal/orders',
    });
  });

  it('gives a child’s own req serializer the request itself, as pino does, and redacts what it returns', async () => {
    const { obs, lines } = startCaptured();
    // What an app's serializer reads: fields its auth middleware set on the request, and headers.
    const req = (request: IncomingMessage & { id?: string; user?: { id: number } }) => ({
      id: request.id,
      user: request.user?.id,
      url: request.url,
      headers: request.headers,
    });
    const log = obs.log.child({ lib: 'web' }, { serializers: { req } });
    await serveOnce(
      (request) => {
        Object.assign(request, { id: 'r-9', user: { id: 42 } });
        log.info({ req: request }, 'handled');
      },
      '/orders?token=abc',
      { Authorization: `Bearer ${SECRET}` },
    );

    expect(lines).toHaveLength(1);
    expect(lines.join('')).not.toContain(SECRET);
    expect(JSON.parse(lines[0] ?? '{}').req).toMatchObject({
      id: 'r-9',
      user: 42,
      url: '/orders?token=[Redacted]',
      headers: { authorization: '[Redacted]' },
    });
  });

  it('hides a secret header in the raw headers a child’s own req serializer returns', async () => {
    const { obs, lines } = startCaptured();
    const req = (request: IncomingMessage) => ({ url: request.url, rawHeaders: request.rawHeaders });
    const log = obs.log.child({ lib: 'web' }, { serializers: { req } });
    await serveOnce((request) => log.info({ req: request }, 'handled'), '/orders', {
      Authorization: `Bearer ${SECRET}`,
      Accept: 'json',
    });

    expect(lines).toHaveLength(1);
    expect(lines.join('')).not.toContain(SECRET);
    const { rawHeaders } = JSON.parse(lines[0] ?? '{}').req;
    expect(rawHeaders.slice(0, 4)).toEqual(['Authorization', '[Redacted]', 'Accept', 'json']);
  });

  it('hides a secret header in headers held as name, value pairs, wherever the line has them', async () => {
    const { obs, lines } = startCaptured();
    const corsHeaders = ['Authorization', 'Content-Type'];
    await serveOnce(
      (request) => {
        obs.log.info({ headers: request.rawHeaders }, 'under headers');
        obs.log.info({ upstream: { raw: request.rawHeaders } }, 'under a key of its own');
        obs.log.info('as %o', request.rawHeaders);
        obs.log.info({ entries: Object.entries(request.headers) }, 'as entries');
        const log = obs.log.child({}, { serializers: { req: (r: IncomingMessage) => r.rawHeaders } });
        log.info({ req: request }, 'as what a serializer returns');
        obs.log.info({ cors: { allowedHeaders: corsHeaders } }, 'a list of names');
      },
      '/orders',
      { Authorization: `Bearer ${SECRET}`, Cookie: `sid=${SECRET}`, Accept: 'json' },
    );

    expect(lines).toHaveLength(6);
    expect(lines.join('')).not.toContain(SECRET);
    const [headers, own, , entries, serialized, cors] = lines.map((l) => JSON.parse(l));
    expect(headers.headers.slice(0, 6)).toEqual([
      'Authorization',
      '[Redacted]',
      'Cookie',
      '[Redacted]',
      'Accept',
      'json',
    ]);
    expect(own.upstream.raw.slice(0, 2)).toEqual(['Authorization', '[Redacted]']);
    expect(entries.entries.slice(0, 3)).toEqual([
      ['authorization', '[Redacted]'],
      ['cookie', '[Redacted]'],
      ['accept', 'json'],
    ]);
    expect(serialized.req.slice(0, 2)).toEqual(['Authorization', '[Redacted]']);
    // A list of header names is no list of values: left as it is.
    expect(cors.cors.allowedHeaders).toEqual(corsHeaders);
  });

  it('hides a secret header in Object.entries() of headers, its value a single word or a list', async () => {
    const { obs, lines } = startCaptured();
    await serveOnce(
      (request, response) => {
        response.setHeader('set-cookie', [`sid=${SECRET}`, 'theme=dark']);
        obs.log.info({ entries: Object.entries(request.headers) }, 'request headers');
        obs.log.info({ headers: Object.entries(response.getHeaders()) }, 'response headers');
      },
      '/orders',
      // An API key is a single word, as a header name is.
      { 'X-Api-Key': SECRET, Accept: 'json' },
    );

    expect(lines.join('')).not.toContain(SECRET);
    const [request, response] = lines.map((l) => JSON.parse(l));
    expect(request.entries.slice(0, 2)).toEqual([
      ['x-api-key', '[Redacted]'],
      ['accept', 'json'],
    ]);
    expect(response.headers).toEqual([['set-cookie', '[Redacted]']]);
  });

  it('hides a secret header in an HTTP/2 request’s raw headers, its pseudo-headers first, wherever the line has them', async () => {
    const { obs, lines } = startCaptured();
    const server = http2.createServer((request, response) => {
      obs.log.info({ upstream: { raw: request.rawHeaders } }, 'under a key of its own');
      obs.log.info('as %o', request.rawHeaders);
      response.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const session = http2.connect(`http://127.0.0.1:${port}`);
    try {
      const stream = session.request({ ':path': '/orders', 'x-api-key': `key ${SECRET}` });
      stream.resume();
      await new Promise((resolve) => stream.on('close', resolve));
    } finally {
      session.close();
      server.close();
    }

    expect(lines).toHaveLength(2);
    expect(lines.join('')).not.toContain(SECRET);
    const raw: string[] = JSON.parse(lines[0] ?? '{}').upstream.raw;
    expect(raw[raw.indexOf('x-api-key') + 1]).toBe('[Redacted]');
    expect(raw[raw.indexOf(':path') + 1]).toBe('/orders');
  });

  it('hides a secret header in the name, value pairs an HTTP client holds as a request’s headers', () => {
    const { obs, lines } = startCaptured();
    // undici's request as its diagnostics channel gives it: headers as a flat list of pairs.
    obs.log.info({ request: { method: 'GET', headers: ['x-api-key', 'abc123', 'accept', 'json'] } }, 'out');

    expect(JSON.parse(lines[0] ?? '{}').request.headers).toEqual([
      'x-api-key',
      '[Redacted]',
      'accept',
      'json',
    ]);
  });

  it('hides a secret header in pairs under a key of the caller’s whose every value is one word, and leaves lists of words or of header names as they are', () => {
    const { obs, lines } = startCaptured();
    const key = 'abc123sentinel';
    // A request between services: no User-Agent, a host without a port, an API key of one word.
    obs.log.info({ forwarded: ['x-api-key', key, 'Host', 'svc'] }, 'pairs');
    obs.log.info({ upstream: ['Authorization', key, 'Host', 'orders', 'Connection', 'close'] }, 'pairs');
    obs.log.info({ sent: ['X-Api-Key', `${key}-7c9e6679-7425`] }, 'a lone pair');
    const lists = [
      ['password', 'reset', 'token', 'expired'],
      ['cookie', 'monster'],
      ['secret', 'sauce', 'host', 'blue'],
      ['Authorization', 'Content-Type', 'X-Api-Key', 'X-Request-Id'],
      ['authorization', 'traceparent', 'cookie', 'accept'],
    ];
    for (const list of lists) obs.log.info({ list }, 'a list');

    expect(lines.join('')).not.toContain(key);
    const [forwarded, upstream, sent, ...listed] = lines.map((l) => JSON.parse(l));
    expect(forwarded.forwarded).toEqual(['x-api-key', '[Redacted]', 'Host', 'svc']);
    expect(upstream.upstream).toEqual([
      'Authorization',
      '[Redacted]',
      'Host',
      'orders',
      'Connection',
      'close',
    ]);
    expect(sent.sent).toEqual(['X-Api-Key', '[Redacted]']);
    expect(listed.map((l) => l.list)).toEqual(lists);
  });

  it('leaves lists of words that start with a header name to hide as they are: services, auth schemes, a CORS list', () => {
    const { obs, lines } = startCaptured();
    const lists = [
      ['authorization', 'billing', 'user-profile', 'notifications'],
      ['api-key', 'oauth'],
      ['api-key', 'jwt', 'basic-auth', 'mtls'],
      ['Authorization', 'Prefer', 'Content-Type', 'If-Match'],
    ];
    for (const list of lists) obs.log.info({ list }, 'a list');
    expect(lines.map((l) => JSON.parse(l).list)).toEqual(lists);
  });

  it('does not modify the caller’s object', () => {
    const { obs } = startCaptured();
    const payload = { password: SECRET, nested: { token: SECRET } };
    obs.log.info(payload, 'x');
    expect(payload).toEqual({ password: SECRET, nested: { token: SECRET } });
  });

  it('keeps a __proto__ key as data and pollutes no prototype', () => {
    const { obs, lines } = startCaptured();
    const evil = JSON.parse(`{"__proto__": {"polluted": true}, "password": "${SECRET}"}`);
    obs.log.info(evil, 'x');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(lines.join('')).not.toContain(SECRET);
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0] ?? '{}');
    expect(Object.getOwnPropertyDescriptor(line, '__proto__')?.value).toEqual({ polluted: true });
    expect(line.password).toBe('[Redacted]');
  });
});
