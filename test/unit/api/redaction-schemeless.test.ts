import { trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { getSightline } from '../../../src/index.js';
import { startCaptured } from '../../helpers/capture.js';

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
