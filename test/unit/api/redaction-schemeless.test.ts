import { trace } from '@opentelemetry/api';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { getSightline } from '../../../src/index.js';
import { expressMiddleware } from '../../../src/integrations/express/index.js';
import { startCaptured } from '../../helpers/capture.js';
import { growth } from '../../helpers/growth.js';

afterEach(async () => {
  await getSightline()?.shutdown();
});

const SECRET = 'sentinel-secret-value-123';

describe('secrets in a URL written without a scheme', () => {
  it('are hidden in a message', () => {
    const { obs, lines, logs } = startCaptured();
    obs.log.info(`GET /login?token=${SECRET} -> 401`);
    obs.log.info(`calling api.example.com/v1?page=2&api_key=${SECRET}, then https://b.io/`);
    obs.log.info(`moved /a/b?x=1 to '/cb?code=1&access_token=${SECRET}'`);
    obs.log.info('GET /orders?page=2 -> 200');
    expect(lines.join('')).not.toContain(SECRET);
    expect(logs().map((l) => l.msg)).toEqual([
      'GET /login?token=[Redacted] -> 401',
      'calling api.example.com/v1?page=2&api_key=[Redacted] then https://b.io/',
      // The closing quote ends it, as in a URL with a scheme.
      "moved /a/b?x=1 to '/cb?code=1&access_token=[Redacted]'",
      'GET /orders?page=2 -> 200',
    ]);
  });

  it('are hidden to the next space when the secret holds a quote or bracket, as in a URL with a scheme', () => {
    const { obs, lines, logs } = startCaptured();
    obs.log.info(`GET /login?token=ab"${SECRET} -> 401`);
    obs.log.info(`GET /login?token=<${SECRET}> -> 401`);
    obs.log.info(`see '/docs?page=2' and "/a?b=1"`);
    expect(lines.join('')).not.toContain(SECRET);
    expect(logs().map((l) => l.msg)).toEqual([
      'GET /login?token=[Redacted] -> 401',
      'GET /login?token=[Redacted] -> 401',
      `see '/docs?page=2' and "/a?b=1"`,
    ]);
  });

  it('end at the quote or bracket they were opened with, in JSON and HTML, as in a URL with a scheme', () => {
    const { obs, lines, logs } = startCaptured();
    obs.log.info(`{"next":"/login?token=${SECRET}","orderId":42}`);
    obs.log.info({ html: `<a href="/cart;jsessionid=${SECRET}">cart</a> (2 items)` });
    obs.log.info(`{"path":"/cart;jsessionid=${SECRET}","status":500}`);
    expect(lines.join('')).not.toContain(SECRET);
    expect(logs().map((l) => l.msg ?? l.html)).toEqual([
      '{"next":"/login?token=[Redacted]","orderId":42}',
      '<a href="/cart;jsessionid=[Redacted]">cart</a> (2 items)',
      '{"path":"/cart;jsessionid=[Redacted]","status":500}',
    ]);
  });

  it('are hidden in a form or a query without its ?, as a request body is logged', () => {
    const { obs, lines, logs, memory } = startCaptured();
    obs.log.info(`POST /oauth/token body: grant_type=password&username=ada&password=${SECRET}, 401`);
    obs.log.info({ sent: `client_id=svc&client_secret=${SECRET}&scope=read` });
    obs.log.info('filters: a=1&b=2 tags=x&y');
    obs.trace('POST', (span) => span.setAttribute('app.form', `user%5Bpassword%5D=${SECRET}&x=1`));
    expect(lines.join('')).not.toContain(SECRET);
    expect(logs().map((l) => l.msg ?? l.sent)).toEqual([
      // The value runs to the word's end, as a query's does.
      'POST /oauth/token body: grant_type=password&username=ada&password=[Redacted] 401',
      'client_id=svc&client_secret=[Redacted]&scope=read',
      'filters: a=1&b=2 tags=x&y',
    ]);
    expect(memory.spans()[0]?.attributes['app.form']).toBe('user%5Bpassword%5D=[Redacted]&x=1');
  });

  it('are hidden in a form in brackets, which keep their closing one, as a query’s do', () => {
    const { obs, lines, logs } = startCaptured();
    obs.log.info(`token refused (body grant_type=password&password=${SECRET}), retrying`);
    obs.log.info(`sent [client_id=svc&client_secret=${SECRET}].`);
    obs.log.info(`login(ada) failed: a=1&password=${SECRET})x`);
    expect(lines.join('')).not.toContain(SECRET);
    expect(logs().map((l) => l.msg)).toEqual([
      'token refused (body grant_type=password&password=[Redacted]), retrying',
      'sent [client_id=svc&client_secret=[Redacted]].',
      // No bracket still open before it: the `)` may be the secret's own, and goes with it.
      'login(ada) failed: a=1&password=[Redacted]',
    ]);
  });

  it('are hidden in a field, and a field named as a URL, path or query is read as one', () => {
    const { obs, lines, logs } = startCaptured();
    obs.log.info({
      path: `/login?token=${SECRET}`,
      url: `/cb?code=1&access_token=${SECRET}`,
      note: `retry api.example.com/v1?api_key=${SECRET}`,
      'url.query': `token=${SECRET}&x=1`,
      originalUrl: `/cart;jsessionid=${SECRET}`,
      kept: 'a=b?c',
    });
    expect(lines.join('')).not.toContain(SECRET);
    expect(logs()[0]).toMatchObject({
      path: '/login?token=[Redacted]',
      url: '/cb?code=1&access_token=[Redacted]',
      note: 'retry api.example.com/v1?api_key=[Redacted]',
      'url.query': 'token=[Redacted]&x=1',
      originalUrl: '/cart;jsessionid=[Redacted]',
      kept: 'a=b?c',
    });
  });

  it('are hidden in span attributes set by another instrumentation', () => {
    const { memory } = startCaptured();
    const span = trace.getTracer('other-instrumentation').startSpan('GET');
    span.setAttributes({
      'http.target': `/login?token=${SECRET}`,
      'url.query': `token=${SECRET}&x=1`,
      'url.path': `/cart;jsessionid=${SECRET}`,
      'db.statement': 'SELECT 1',
      'app.redirects': [`/a?token=${SECRET}`, '/b?page=2'],
    });
    span.end();
    const [ended] = memory.spans();
    expect(JSON.stringify(ended?.attributes)).not.toContain(SECRET);
    expect(ended?.attributes).toMatchObject({
      'http.target': '/login?token=[Redacted]',
      'url.query': 'token=[Redacted]&x=1',
      'url.path': '/cart;jsessionid=[Redacted]',
      'db.statement': 'SELECT 1',
      'app.redirects': ['/a?token=[Redacted]', '/b?page=2'],
    });
  });
});

describe('a path parameter in text without a query', () => {
  it('is hidden in a message, a field and a span attribute, as in a path with a query', () => {
    const { obs, lines, logs, memory } = startCaptured();
    obs.log.info(`GET /cart;jsessionid=${SECRET} -> 500`);
    obs.log.info(
      `moved shop.example.com/cart;JSESSIONID=${SECRET}/items to "/checkout;jsessionid=${SECRET}"`,
    );
    obs.log.info({ note: `retry /cart;jsessionid=${SECRET}` }, 'retry');
    obs.log.info('a=b; c=d, /cart;v=2 and x;y=z');
    obs.trace('op', (span) => span.setAttribute('app.note', `GET /cart;jsessionid=${SECRET}`));
    expect(lines.join('')).not.toContain(SECRET);
    expect(logs().map((l) => l.msg)).toEqual([
      'GET /cart;jsessionid=[Redacted] -> 500',
      'moved shop.example.com/cart;JSESSIONID=[Redacted]/items to "/checkout;jsessionid=[Redacted]"',
      'retry',
      'a=b; c=d, /cart;v=2 and x;y=z',
    ]);
    expect(logs()[2]).toMatchObject({ note: 'retry /cart;jsessionid=[Redacted]' });
    expect(memory.spans()[0]?.attributes['app.note']).toBe('GET /cart;jsessionid=[Redacted]');
  });

  it('is hidden in a span attribute that holds a list of texts', () => {
    const { memory } = startCaptured();
    const span = trace.getTracer('other-instrumentation').startSpan('GET');
    span.setAttributes({
      'app.redirects': [`/cart;jsessionid=${SECRET}/items`, '/b;v=2', 'a=1'],
      'http.request.header.x-original-url': [`/cart;JSESSIONID=${SECRET}`],
    });
    span.end();
    const [ended] = memory.spans();
    expect(JSON.stringify(ended?.attributes)).not.toContain(SECRET);
    expect(ended?.attributes).toMatchObject({
      'app.redirects': ['/cart;jsessionid=[Redacted]/items', '/b;v=2', 'a=1'],
      'http.request.header.x-original-url': ['/cart;JSESSIONID=[Redacted]'],
    });
  });

  it('is hidden after parameters that hide nothing in the same word, and those are kept', () => {
    const { obs, logs } = startCaptured();
    obs.log.info({
      accept: 'text/html,application/xml;q=0.9,*/*;q=0.8',
      type: 'application/json;charset=UTF-8',
      media: `application/xml;q=0.9;jsessionid=${SECRET}`,
      segments: `/a;v=1/b;jsessionid=${SECRET}/c`,
      query: `/a;v=1&token=${SECRET}`,
      fragment: `/a;v=1#access_token=${SECRET}`,
    });
    expect(logs()[0]).toMatchObject({
      accept: 'text/html,application/xml;q=0.9,*/*;q=0.8',
      type: 'application/json;charset=UTF-8',
      media: 'application/xml;q=0.9;jsessionid=[Redacted]',
      segments: '/a;v=1/b;jsessionid=[Redacted]/c',
      query: '/a;v=1&token=[Redacted]',
      fragment: '/a;v=1#access_token=[Redacted]',
    });
  });
});

/** Sends one request to a loopback Express app traced by sightline, whose route answers `status`. */
async function serveOnce(route: string, status: number, path: string): Promise<void> {
  const app = express();
  app.use(expressMiddleware());
  app.get(route, (_req, res) => res.status(status).send('done'));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, { redirect: 'manual' });
    await response.text();
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

/** A JSON Web Token as issuers write one: base64url JSON header and payload, and a signature. */
const b64 = (json: object) => Buffer.from(JSON.stringify(json)).toString('base64url');
const JWT = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: '42', exp: 1796098629 })}.${SECRET}-sig_Ab9`;
/** An encrypted one (JWE): five parts, the key's empty where it is agreed directly. */
const JWE = `${b64({ alg: 'dir', enc: 'A256GCM' })}..iv_${SECRET}.cipher-${SECRET}.tag_${SECRET}`;
/** An unsigned one (`alg: none`): its signature empty. */
const UNSIGNED = `${b64({ alg: 'none' })}.${b64({ sub: SECRET })}.`;

describe('a JSON Web Token in text, with no name to tell it by', () => {
  it('is hidden in a message, a field and a span attribute, in a path, a URL or prose', () => {
    const { obs, lines, logs, memory } = startCaptured();
    const texts = [
      [`GET /reset/${JWT} -> 404`, 'GET /reset/[Redacted] -> 404'],
      [
        `reset link: https://app.example/reset/${JWT}?lang=en`,
        'reset link: https://app.example/reset/[Redacted]?lang=en',
      ],
      [`invalid token ${JWT}, expired`, 'invalid token [Redacted], expired'],
      [`decrypt failed for ${JWE}`, 'decrypt failed for [Redacted]'],
      [`unsigned (${UNSIGNED}) refused`, 'unsigned ([Redacted]) refused'],
      [`["${JWT}"]`, '["[Redacted]"]'],
      [`login?next=%2Freset%2F${JWT}%3Flang%3Den`, 'login?next=%2Freset%2F[Redacted]%3Flang%3Den'],
    ];
    for (const [text] of texts) {
      obs.log.info({ detail: text }, text as string);
      obs.trace('op', (span) => {
        span.setAttribute('app.note', text as string);
        span.setAttribute('app.notes', [text as string]);
      });
    }
    expect(lines.join('')).not.toContain(SECRET);
    const clean = texts.map(([, c]) => c);
    expect(logs().map((l) => l.msg)).toEqual(clean);
    expect(logs().map((l) => l.detail)).toEqual(clean);
    expect(memory.spans().map((s) => s.attributes['app.note'])).toEqual(clean);
    expect(memory.spans().map((s) => s.attributes['app.notes'])).toEqual(clean.map((c) => [c]));
  });

  it('is hidden in a field or span attribute named as a URL or path, and in a request body, as text or JSON', () => {
    const { obs, lines, logs, memory } = startCaptured();
    obs.log.info({ path: `/reset/${JWT}`, url: `/verify/${JWT}`, 'url.query': `state=${JWT}` });
    obs.log.info({ config: { url: '/token', data: JWT } }, 'refused');
    // A JSON body holding a token under a name that tells nothing (App Store's notifications).
    obs.log.info({ config: { url: '/notify', body: JSON.stringify({ signedPayload: JWT, n: 1 }) } });
    const span = trace.getTracer('other-instrumentation').startSpan('GET');
    span.setAttributes({ 'url.path': `/reset/${JWT}`, 'http.target': `/reset/${JWT}?x=1` });
    span.end();
    expect(lines.join('')).not.toContain(SECRET);
    expect(logs()[0]).toMatchObject({
      path: '/reset/[Redacted]',
      url: '/verify/[Redacted]',
      'url.query': 'state=[Redacted]',
    });
    expect(logs()[1]?.config).toEqual({ url: '/token', data: '[Redacted]' });
    expect(logs()[2]?.config).toEqual({ url: '/notify', body: '{"signedPayload":"[Redacted]","n":1}' });
    expect(memory.spans()[0]?.attributes).toMatchObject({
      'url.path': '/reset/[Redacted]',
      'http.target': '/reset/[Redacted]?x=1',
    });
  });

  it('is hidden in a real request’s path, in its server span and its access line', async () => {
    const { obs, lines, memory } = startCaptured();
    await serveOnce('/reset/:token', 404, `/reset/${JWT}?lang=en`);
    await obs.forceFlush();
    const spans = memory.spans();
    expect(spans.length).toBeGreaterThan(0);
    expect(JSON.stringify(spans.map((s) => [s.name, s.attributes]))).not.toContain(SECRET);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('')).not.toContain(SECRET);
    expect(lines.join('')).toContain('"path":"/reset/[Redacted]"');
    const served = spans.find((s) => s.attributes['http.route'] === '/reset/:token');
    expect(served?.attributes['url.path']).toBe('/reset/[Redacted]');
  });

  it('is hidden after a line break or tab escaped in JSON text, as a line of its own is', () => {
    const { obs, lines, logs, memory } = startCaptured();
    // A multi-line text given to JSON.stringify for a message: the token starts a line of it.
    const texts = [
      `upstream said ${JSON.stringify({ body: `refused:\n${JWT}` })}`,
      JSON.stringify(`GET /v1 HTTP/1.1\r\n${JWT}\r\n`),
      JSON.stringify(`token\t${JWT}`),
    ];
    for (const text of texts) {
      obs.log.info({ detail: text }, text);
      obs.trace('op', (span) => span.setAttribute('app.note', text));
    }
    expect(lines.join('')).not.toContain(SECRET);
    expect(JSON.stringify(memory.spans().map((s) => s.attributes))).not.toContain(SECRET);
    expect(logs().map((l) => l.msg)).toEqual([
      'upstream said {"body":"refused:\\n[Redacted]"}',
      '"GET /v1 HTTP/1.1\\r\\n[Redacted]\\r\\n"',
      '"token\\t[Redacted]"',
    ]);
  });

  it('is hidden with its dots percent-encoded, as a URL given as a value encodes them, once or twice', async () => {
    const { obs, lines, logs, memory } = startCaptured();
    const encoded = JWT.replaceAll('.', '%2E');
    const twice = JWT.replaceAll('.', '%252E');
    const jwe = JWE.replaceAll('.', '%2e');
    const texts = [
      [
        `GET /login?next=%2Freset%2F${encoded}%3Flang%3Den -> 302`,
        'GET /login?next=%2Freset%2F[Redacted]%3Flang%3Den -> 302',
      ],
      [`GET /cb?state=${encoded}&x=1`, 'GET /cb?state=[Redacted]&x=1'],
      [`https://app.example/r?u=%252Fv%252F${twice}`, 'https://app.example/r?u=%252Fv%252F[Redacted]'],
      [`decrypt failed for %2F${jwe}`, 'decrypt failed for %2F[Redacted]'],
    ];
    for (const [text] of texts) {
      obs.log.info({ detail: text }, text as string);
      obs.trace('op', (span) => span.setAttribute('app.note', text as string));
    }
    // A real request whose query holds one, as an OAuth redirect sends it.
    await serveOnce('/cb', 302, `/cb?next=%2Freset%2F${encoded}`);
    await obs.forceFlush();
    expect(lines.join('')).not.toContain(SECRET);
    expect(JSON.stringify(memory.spans().map((s) => [s.name, s.attributes]))).not.toContain(SECRET);
    const clean = texts.map(([, c]) => c);
    expect(
      logs()
        .slice(0, texts.length)
        .map((l) => l.msg),
    ).toEqual(clean);
    expect(
      logs()
        .slice(0, texts.length)
        .map((l) => l.detail),
    ).toEqual(clean);
    expect(
      memory
        .spans()
        .slice(0, texts.length)
        .map((s) => s.attributes['app.note']),
    ).toEqual(clean);
  });

  it('is kept when its dots are encoded but no token follows: a cursor and a file name', () => {
    const { obs, logs } = startCaptured();
    const kept = [
      `GET /page?cursor=${b64({ after: 'order-42' })}%2Ejson`,
      `GET /f?name=${b64({ v: 1 })}%2Ev2%2Etar`,
    ];
    for (const text of kept) obs.log.info(text);
    expect(logs().map((l) => l.msg)).toEqual(kept);
  });

  it('is kept when it is no token: a base64 JSON cursor alone, a short word, a version', () => {
    const { obs, logs } = startCaptured();
    const kept = [
      `next page ${b64({ page: 2, size: 50 })}`,
      `cursor=${b64({ after: 'order-42' })}.json`,
      'eyJ.1.2 and eyJhbGci.x',
      `deploy ${b64({ v: 1 })}.v2.tar`,
    ];
    for (const text of kept) obs.log.info(text);
    expect(logs().map((l) => l.msg)).toEqual(kept);
  });

  it('is read in time linear in the text, however it is written many times over', () => {
    const { obs, lines } = startCaptured();
    const log = (text: string) => obs.log.info(text);
    const textOf = (part: string, kb: number) => part.repeat((kb * 1000) / part.length);
    // 200 KB of each within a second, and against 12.5 KB, 16 times shorter (see growth).
    for (const part of [
      'eyJ',
      'eyJaaaaaaaaa.',
      'eyJaaaaaaaaa..',
      '-eyJaaaaaaaa',
      'eyJaaaaaaaaa.a',
      ' eyJaaaaaaaaa.a',
      '%2FeyJ',
      '%2FeyJaaaaaaaaa.a',
      '\\neyJaaaaaaaaa.a',
      'eyJaaaaaaaaa%2E',
      'eyJaaaaaaaaa%252Ea',
      '%252FeyJaaaaaaaaa%2Ea',
      '%2525252525',
    ]) {
      const started = performance.now();
      log(textOf(part, 200));
      expect(performance.now() - started, part).toBeLessThan(1000);
      expect(growth(log, textOf(part, 12.5), textOf(part, 200)), part).toBeLessThan(64);
    }
    expect(lines.length).toBeGreaterThan(0);
  });
});
