import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { getSightline } from '../../../src/index.js';
import { startCaptured } from '../../helpers/capture.js';
import { axiosFailure, gotFailure } from '../../helpers/http-client-errors.js';

afterEach(async () => {
  await getSightline()?.shutdown();
});

const SECRET = 'sentinel-secret-value-123';

describe('redaction of HTTP clients’ errors', () => {
  it('writes an axios error without the credentials in its config, request and response', async () => {
    // Prepare
    const { obs, lines } = startCaptured({ outbound: false });
    const { err, port } = await axiosFailure(
      { Authorization: `Bearer ${SECRET}`, 'x-api-key': SECRET, accept: 'json' },
      `sid=${SECRET}`,
    );

    // Act: as pino's error key, as the line, nested, and under a key of its own (written as its JSON).
    obs.log.error({ err }, 'upstream failed');
    obs.log.error(err, 'as the line');
    obs.log.error({ job: { id: 7, error: err } }, 'nested');
    obs.log.error({ upstream: err }, 'as JSON');

    // Assess
    expect(lines.join('')).not.toContain(SECRET);
    const [failed, direct, nested, json] = lines.map((l) => JSON.parse(l));
    const headers = { Authorization: '[Redacted]', 'x-api-key': '[Redacted]', accept: 'json' };
    for (const line of [failed, direct]) {
      expect(line.err.type).toBe('AxiosError');
      expect(line.err.message).toBe('Request failed with status code 500');
      expect(line.err.config.headers).toEqual(headers);
      expect(line.err.request).toMatchObject({ method: 'GET', path: '/v1/items' });
      expect(line.err.response.headers['set-cookie']).toBe('[Redacted]');
    }
    expect(failed.err.request.headers.authorization).toBe('[Redacted]');
    expect(nested.job.error.config.headers).toEqual(headers);
    expect(json.upstream.config).toEqual({
      url: `http://127.0.0.1:${port}/v1/items`,
      method: 'get',
      headers,
      timeout: 0,
    });
  });

  it('writes a got error without the request and response it keeps out of JSON', async () => {
    // Prepare
    const { obs, lines } = startCaptured({ outbound: false });
    const { err } = await gotFailure(
      'Response code 500 (Internal Server Error)',
      { authorization: `Bearer ${SECRET}`, accept: 'json' },
      `sid=${SECRET}`,
    );

    // Act
    obs.log.error({ err }, 'upstream failed');

    // Assess: the fields pino writes for it, with its options' credentials redacted.
    const text = lines.join('');
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('rawHeaders');
    const line = JSON.parse(lines[0] ?? '{}');
    expect(Object.keys(line.err).sort()).toEqual([
      'code',
      'message',
      'name',
      'options',
      'stack',
      'timings',
      'type',
    ]);
    expect(line.err.options.headers).toEqual({ authorization: '[Redacted]', accept: 'json' });
    expect(line.err.options.password).toBe('[Redacted]');
  });

  it('writes the errors an AggregateError gathers with their credentials redacted', async () => {
    // Prepare: what Promise.any rejects with when every call failed.
    const { obs, lines } = startCaptured({ outbound: false });
    const { err: failed } = await axiosFailure({ Authorization: `Bearer ${SECRET}` }, `sid=${SECRET}`);
    const err = await Promise.any([Promise.reject(failed), Promise.reject(failed)]).catch((e: unknown) => e);

    // Act
    obs.log.error({ err }, 'every mirror failed');
    obs.log.error(err as Error);

    // Assess
    expect(lines.join('')).not.toContain(SECRET);
    for (const line of lines.map((l) => JSON.parse(l))) {
      expect(line.err.type).toBe('AggregateError');
      expect(line.err.aggregateErrors).toHaveLength(2);
      expect(line.err.aggregateErrors[1].config.headers).toEqual({ Authorization: '[Redacted]' });
      expect(line.err.aggregateErrors[1].request.headers.authorization).toBe('[Redacted]');
      expect(line.err).not.toHaveProperty('errors');
    }
  });

  it('writes an axios error nested past four levels, as Promise.allSettled gives it, without its credentials', async () => {
    // Prepare
    const { obs, lines } = startCaptured({ outbound: false });
    const { err } = await axiosFailure(
      { Authorization: `Bearer ${SECRET}`, accept: 'json' },
      `sid=${SECRET}`,
    );
    const results = await Promise.allSettled([Promise.resolve(1), Promise.reject(err)]);

    // Act
    obs.log.error({ results }, 'batch failed');
    obs.log.error({ job: { batch: { results } } }, 'deeper');

    // Assess
    expect(lines.join('')).not.toContain(SECRET);
    const [batch, deeper] = lines.map((l) => JSON.parse(l));
    const headers = { Authorization: '[Redacted]', accept: 'json' };
    expect(batch.results[1].reason.config.headers).toEqual(headers);
    expect(deeper.job.batch.results[1].reason.config.headers).toEqual(headers);
  });

  it('hides the password and the query’s secrets of a URL an error message quotes, causes included', async () => {
    // Prepare: fetch refusing a URL with credentials, and got quoting the URL whose response it refused.
    const { obs, lines } = startCaptured({ outbound: false });
    const refused = await fetch(`http://deploy:${SECRET}@127.0.0.1:1/v1`).catch((e: unknown) => e as Error);
    const { err: failed } = await gotFailure(
      `Request failed with status code 500 (Internal Server Error): GET http://127.0.0.1:1/v1?page=2&token=${SECRET}`,
      {},
      'sid=1',
    );
    const wrapped = new Error('sync failed', { cause: failed });
    const looped = new Error(`retrying GET http://127.0.0.1:1/v1?token=${SECRET}`);
    const again = new Error('gave up', { cause: looped });
    Object.defineProperty(looped, 'cause', { value: again });

    // Act: with a message of the line's own, and without, where pino writes the error's as the line's.
    obs.log.error({ err: refused }, 'fetch refused');
    obs.log.error(refused);
    obs.log.error({ err: refused });
    obs.log.error({ err: wrapped }, 'sync failed');
    obs.log.error({ err: again }, 'causes in a loop');

    // Assess
    expect(lines.join('')).not.toContain(SECRET);
    const [given, asLine, asField, cause, loop] = lines.map((l) => JSON.parse(l));
    const message =
      'Request cannot be constructed from a URL that includes credentials: http://[Redacted]:[Redacted]@127.0.0.1:1/v1';
    expect(given.err.message).toBe(message);
    expect(given.err.stack.split('\n')[0]).toBe(`TypeError: ${message}`);
    expect([asLine.msg, asField.msg]).toEqual([message, message]);
    expect(cause.err.message).toBe(
      'sync failed: Request failed with status code 500 (Internal Server Error): GET http://127.0.0.1:1/v1?page=2&token=[Redacted]',
    );
    expect(cause.err.stack).toContain('caused by: HTTPError: Request failed');
    expect(loop.err.message).toBe('gave up: retrying GET http://127.0.0.1:1/v1?token=[Redacted]');
  });

  it('hides the credentials a cause quotes that is no Error of this realm: a serialised error, a vm context’s', () => {
    // Prepare: a cause as an RPC client rebuilds it from the wire, and one thrown in another realm.
    const { obs, lines } = startCaptured({ outbound: false });
    const url = `https://deploy:${SECRET}@api.example.com/v1?token=${SECRET}`;
    const serialised = { name: 'HTTPError', message: `GET ${url} failed`, stack: `HTTPError: GET ${url}` };
    const foreign = runInNewContext('new Error(message)', { message: `GET ${url} refused` }) as Error;

    // Act
    obs.log.error({ err: new Error('sync failed', { cause: serialised }) }, 'serialised cause');
    obs.log.error({ err: new Error('sync failed', { cause: foreign }) }, 'foreign cause');
    obs.log.error({ err: foreign }, 'foreign error');

    // Assess
    expect(lines).toHaveLength(3);
    expect(lines.join('')).not.toContain(SECRET);
    const [first, second, third] = lines.map((l) => JSON.parse(l));
    const clean = 'https://[Redacted]:[Redacted]@api.example.com/v1?token=[Redacted]';
    expect(first.err.message).toBe(`sync failed: GET ${clean} failed`);
    expect(second.err.message).toBe(`sync failed: GET ${clean} refused`);
    expect(third.err.message).toBe(`GET ${clean} refused`);
  });

  it('writes an error of another realm given as the line as pino writes one of this realm: under err, its message the line’s', () => {
    // Prepare: an error a vm sandbox threw, as Node's own are under Jest's test environment.
    const { obs, lines } = startCaptured({ outbound: false });
    const url = `https://deploy:${SECRET}@api.example.com/v1`;
    const foreign = runInNewContext('new TypeError(message)', { message: `GET ${url} refused` }) as Error;

    // Act
    obs.log.error(foreign);
    obs.log.error(foreign, 'deploy failed');
    obs.log.child({ job: 'deploy' }).warn(foreign);

    // Assess
    expect(lines.join('')).not.toContain(SECRET);
    const clean = 'GET https://[Redacted]:[Redacted]@api.example.com/v1 refused';
    const written = lines.map((l) => {
      const { msg, err, job } = JSON.parse(l);
      return [msg, job, err?.type, err?.message, err?.stack?.split('\n')[0]];
    });
    expect(written).toEqual([
      [clean, undefined, 'TypeError', clean, `TypeError: ${clean}`],
      ['deploy failed', undefined, 'TypeError', clean, `TypeError: ${clean}`],
      [clean, 'deploy', 'TypeError', clean, `TypeError: ${clean}`],
    ]);
  });

  it('writes an error whose causes run thousands deep, or nest gathered errors, with its first 32 causes', () => {
    // Prepare: what a retry loop that wraps its last error on each attempt ends with.
    const { obs, lines } = startCaptured({ outbound: false });
    let chain = new Error('attempt 0');
    for (let i = 1; i <= 10_000; i++) chain = new Error(`attempt ${i}`, { cause: chain });
    let nested = new AggregateError([new Error('leaf')], 'batch 0');
    for (let i = 1; i <= 10_000; i++) nested = new AggregateError([nested], `batch ${i}`);

    // Act
    obs.log.error({ err: chain }, 'gave up');
    obs.log.error(nested);

    // Assess
    expect(obs.drops()).toEqual({});
    const [retried, batched] = lines.map((l) => JSON.parse(l));
    const causes = retried.err.message.split(': ');
    expect(causes).toHaveLength(33);
    expect(causes.at(-1)).toBe('attempt 9968');
    let depth = 0;
    for (let e = batched.err; e.aggregateErrors; e = e.aggregateErrors[0]) depth++;
    expect(depth).toBe(32);
    expect(lines.join('').length).toBeLessThan(200_000);
  });

  it('hides the secrets of an error whose message is an object, which pino writes as the line’s message', () => {
    // Prepare: what a client that sets the body it was answered as the error's message throws.
    const { obs, lines } = startCaptured({ outbound: false });
    const err = Object.assign(new Error(), { message: { error: 'expired', token: SECRET } });

    // Act: the error alone, and under the line's err key.
    obs.log.error(err);
    obs.log.warn({ err });

    // Assess
    expect(lines).toHaveLength(2);
    expect(lines.join('')).not.toContain(SECRET);
    for (const line of lines) expect(JSON.parse(line).msg).toEqual({ error: 'expired', token: '[Redacted]' });
  });

  it('writes an error whose message is an object with its type and stack, the message as its JSON, redacted', () => {
    // Prepare: a message set after the error was made, enumerable (none before) or not (one before).
    const { obs, lines } = startCaptured({ outbound: false });
    const plain = Object.assign(new Error(), { message: { error: 'expired', token: SECRET } });
    const typed = new TypeError('refused');
    (typed as { message: unknown }).message = { code: 7, token: SECRET };

    // Act
    obs.log.error({ err: plain }, 'call failed');
    obs.log.error({ err: typed }, 'call failed');

    // Assess
    expect(lines.join('')).not.toContain(SECRET);
    const [first, second] = lines.map((l) => JSON.parse(l).err);
    expect([first.type, first.message]).toEqual(['Error', '{"error":"expired","token":"[Redacted]"}']);
    expect(first.stack).toBe(plain.stack);
    expect([second.type, second.message]).toEqual(['TypeError', '{"code":7,"token":"[Redacted]"}']);
    expect(second.stack).toBe(typed.stack);
    expect(second.stack).toMatch(/^TypeError\b.*\n\s+at /);
  });

  it('hides the credentials of a URL quoted in a message the caller builds, with or without fields', async () => {
    // Prepare
    const { obs, lines } = startCaptured({ outbound: false });
    const refused = (await fetch(`http://deploy:${SECRET}@127.0.0.1:1/v1`).catch((e: unknown) => e)) as Error;
    const upstream = `http://127.0.0.1:1/v1?page=2&token=${SECRET}`;

    // Act: pino's own method, the fast path of a line with fields, interpolation, and a child's line.
    obs.log.warn(`call failed: ${refused.message}`);
    obs.log.error({ attempt: 2 }, `GET ${upstream} failed`);
    obs.log.info('retrying %s', upstream);
    obs.log.child({ job: 7 }).info(`GET ${upstream}`);

    // Assess
    expect(lines.join('')).not.toContain(SECRET);
    const clean = 'http://127.0.0.1:1/v1?page=2&token=[Redacted]';
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual([
      'call failed: Request cannot be constructed from a URL that includes credentials: http://[Redacted]:[Redacted]@127.0.0.1:1/v1',
      `GET ${clean} failed`,
      `retrying ${clean}`,
      `GET ${clean}`,
    ]);
  });

  it('hides a token given as a URL’s user name, alone or with a password, as git and npm take one', async () => {
    // Prepare
    const { obs, lines } = startCaptured({ outbound: false });
    const alone = `https://${SECRET}@github.com/acme/app.git`;
    const withPassword = `https://${SECRET}:x-oauth-basic@github.com/acme/app.git`;

    // Act
    obs.log.info({ url: alone, mirror: { url: withPassword } }, 'cloning');
    obs.log.error({ err: new Error(`clone of ${withPassword} failed`) }, 'clone failed');

    // Assess
    expect(lines.join('')).not.toContain(SECRET);
    const [cloning, failed] = lines.map((l) => JSON.parse(l));
    expect(cloning.url).toBe('https://[Redacted]@github.com/acme/app.git');
    const clean = 'https://[Redacted]:[Redacted]@github.com/acme/app.git';
    expect(cloning.mirror.url).toBe(clean);
    expect(failed.err.message).toBe(`clone of ${clean} failed`);
  });

  it('hides the credentials and the query’s secrets of a URL under any key, such as an axios config’s baseURL', async () => {
    // Prepare
    const { obs, lines } = startCaptured({ outbound: false });
    const axios = await axiosFailure({}, 'sid=1');
    axios.err.config.baseURL = `https://deploy:${SECRET}@api.example.com`;
    const got = await gotFailure('Response code 500 (Internal Server Error)', {}, 'sid=1');
    Object.assign((got.err as unknown as { options: object }).options, {
      url: new URL(`https://api.example.com/v1/items?access_token=${SECRET}`),
    });
    const upstream = {
      href: `https://${SECRET}@github.com/shop/checkout.git`,
      endpoint: new URL(`https://svc.example.com/v1?api_key=${SECRET}`),
      replicas: [`redis://:${SECRET}@cache-1:6379`, 'redis://cache-2:6379'],
    };

    // Act
    obs.log.error({ err: axios.err }, 'axios failed');
    obs.log.error({ err: got.err }, 'got failed');
    obs.log.warn({ upstream }, 'retrying');

    // Assess
    expect(lines.join('')).not.toContain(SECRET);
    const [axiosLine, gotLine, retry] = lines.map((l) => JSON.parse(l));
    expect(axiosLine.err.config.baseURL).toBe('https://[Redacted]:[Redacted]@api.example.com');
    expect(gotLine.err.options.url).toBe('https://api.example.com/v1/items?access_token=[Redacted]');
    expect(retry.upstream).toEqual({
      href: 'https://[Redacted]@github.com/shop/checkout.git',
      endpoint: 'https://svc.example.com/v1?api_key=[Redacted]',
      replicas: ['redis://[Redacted]:[Redacted]@cache-1:6379', 'redis://cache-2:6379'],
    });
  });

  it('hides the password and the query’s secrets of a URL under a url key, such as an axios config’s', async () => {
    // Prepare
    const { obs, lines } = startCaptured({ outbound: false });
    const { err, port } = await axiosFailure({}, 'sid=1', `/v1/items?page=2&api_key=${SECRET}`);
    const target = new URL(`https://deploy:${SECRET}@example.com/hook?token=${SECRET}`);

    // Act
    obs.log.error({ err }, 'upstream failed');
    obs.log.info({ url: target.href, webhook: { url: target } }, 'webhook');

    // Assess
    expect(lines.join('')).not.toContain(SECRET);
    const [failed, webhook] = lines.map((l) => JSON.parse(l));
    const url = `http://127.0.0.1:${port}/v1/items?page=2&api_key=[Redacted]`;
    expect([failed.err.config.url, failed.err.response.config.url]).toEqual([url, url]);
    const clean = 'https://[Redacted]:[Redacted]@example.com/hook?token=[Redacted]';
    expect([webhook.url, webhook.webhook.url]).toEqual([clean, clean]);
  });
});
