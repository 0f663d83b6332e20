import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_REDACT_KEYS, getSightline } from '../../../src/index.js';
import { startCaptured } from '../../helpers/capture.js';

afterEach(async () => {
  await getSightline()?.shutdown();
});

const SECRET = 'sentinel-secret-value-123';

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

  it('hides the user’s own keys and paths', () => {
    const { obs, lines } = startCaptured({ redact: ['cardNumber', 'order.customer.email'] });
    obs.log.info({ cardNumber: SECRET, order: { id: 'o-1', customer: { email: SECRET, name: 'Ada' } } }, 'x');
    expect(lines.join('')).not.toContain(SECRET);
    const line = JSON.parse(lines[0] ?? '{}');
    expect(line.order).toEqual({ id: 'o-1', customer: { email: '[Redacted]', name: 'Ada' } });
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
  });
});
