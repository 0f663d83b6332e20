import { trace } from '@opentelemetry/api';
import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import express from 'express';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { otlp } from '../../../adapters/otlp/index.js';
import { getSightline, type Sightline } from '../../../src/index.js';
import { expressMiddleware } from '../../../src/integrations/express/index.js';
import { FAST_CHANNEL, startWith } from '../../adapters/harness.js';
import { type OtlpCollector, startCollector } from '../../adapters/otlp/intake-server.js';
import { startCaptured } from '../../helpers/capture.js';
import { expectLinear, growth } from '../../helpers/growth.js';
import { axiosFailure } from '../../helpers/http-client-errors.js';

let closing: (() => Promise<void>)[] = [];
afterEach(async () => {
  await getSightline()?.shutdown();
  for (const close of closing) await close();
  closing = [];
});

const SECRET = 'sentinel-secret-value-123';

/**
 * Names a Node service logs, sends as headers or puts in a URL, each holding a credential, that the
 * list of names alone did not hold: tokens, secrets, passwords and keys named after what they are
 * for, the headers that carry them, and the session cookies' names.
 */
const SECRET_NAMES = [
  'session_token',
  'id_token',
  'auth_token',
  'sessionToken',
  'accessToken',
  'x-auth-token',
  'x-access-token',
  'x-amz-security-token',
  'X-Amz-Security-Token',
  'aws_session_token',
  'x-csrf-token',
  'csrftoken',
  'GITHUB_TOKEN',
  'clientSecret',
  'webhook_secret',
  'db_password',
  'newPassword',
  'mysql_pwd',
  'private_key',
  'privateKey',
  'PRIVATE_KEY',
  'aws_secret_access_key',
  'AWS_SECRET_ACCESS_KEY',
  'secretAccessKey',
  'x-goog-api-key',
  'DD_API_KEY',
  'DD_APP_KEY',
  'dd-application-key',
  'openaiApiKey',
  'NEW_RELIC_LICENSE_KEY',
  'encryption_key',
  'passphrase',
  'credentials',
  'jwt',
  'bearer',
  'auth',
  'sessionid',
  // The session's id, whatever its separators: sessionId was hidden while session_id was kept.
  'session_id',
  'session-id',
  'SESSION_ID',
  'x-session-id',
  // The session's id after a word of its own (a proxy's header, a user's): written whatever joins them.
  'x_session_id',
  'xSessionId',
  'userSessionId',
  'user_session_id',
  // CSRF tokens under the names frameworks give them (csurf's and Lusca's, Tornado's, Angular's).
  '_csrf',
  '_xsrf',
  'csrf',
  'csrf_token',
  'xsrf-token',
  'XSRF-TOKEN',
  'connect.sid',
  'JSESSIONID',
  'PHPSESSID',
  'signedCookies',
  'DB_PASS',
  'smtpPass',
  'pass',
  'x-functions-key',
  'Ocp-Apim-Subscription-Key',
];

/** Names that only hold such a word in the middle, or are no credential: LLM usage, ids, keys of data. */
const KEPT_NAMES = [
  'tokens_used',
  'token_count',
  'max_tokens',
  'prompt_tokens',
  'completion_tokens',
  'token_type',
  'tokenizer',
  'secretName',
  'secret_id',
  'password_changed_at',
  'cache_key',
  'primary_key',
  'public_key',
  'idempotency_key',
  'partition_key',
  'monkey',
  'key',
  'access_key_id',
  'author',
  'sidebar',
  'bypass',
  'cache_bypass',
  'compass',
  'passage',
  // What counts or describes sessions, and OpenTelemetry's front-end session id, a correlation id.
  'sessionCount',
  'session_ttl',
  'session_type',
  'session.id',
  'csrf_enabled',
  // Ids of things whose word only ends in `session` or `ssion`: a session's id is a word of its own.
  'possessionId',
  'repossession_id',
  'obsessionId',
  'impressionId',
  'submissionId',
  'permission_id',
];

/**
 * Logs each text as a message and a field, and sets it as a span attribute, then each of `kept` as a
 * message: each text is written as its clean one, and each kept as it is.
 */
async function expectHiddenEverywhere(
  texts: string[][],
  kept: string[] = [],
  config: Parameters<typeof startCaptured>[0] = {},
): Promise<void> {
  const { obs, lines, memory } = startCaptured(config);
  for (const [text] of texts) {
    obs.log.info({ detail: text }, text);
    obs.trace('op', (span) => span.setAttribute('app.note', text as string));
  }
  for (const text of kept) obs.log.info(text);
  await obs.forceFlush();
  expect(lines.join('')).not.toContain(SECRET);
  expect(JSON.stringify(memory.spans().map((s) => s.attributes))).not.toContain(SECRET);
  const clean = texts.map(([, c]) => c);
  expect(lines.map((l) => JSON.parse(l).msg)).toEqual([...clean, ...kept]);
  expect(lines.slice(0, clean.length).map((l) => JSON.parse(l).detail)).toEqual(clean);
  expect(memory.spans().map((s) => s.attributes['app.note'])).toEqual(clean);
}

describe('names a credential goes by, hidden by default', () => {
  it('in a log line’s fields, nested, and in a real Express request’s headers, written by pino', async () => {
    const { obs, lines } = startCaptured();
    const app = express();
    app.use(expressMiddleware());
    app.get('/me', (req, res) => {
      req.log.info({ req }, 'request');
      res.send('ok');
    });
    const server = app.listen(0, '127.0.0.1');
    closing.push(() => new Promise((resolve) => server.close(() => resolve())));
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    // A header's name reaches the app lowercased: `smtpPass` is a field's name, not a header's.
    const headers = Object.fromEntries(
      SECRET_NAMES.filter((n) => n !== 'smtpPass' && /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(n)).map((n) => [
        n,
        SECRET,
      ]),
    );
    await get(port, '/me', { ...headers, 'x-request-id': 'r-1' });

    const fields = {
      ...Object.fromEntries(SECRET_NAMES.map((n) => [n, SECRET])),
      ...Object.fromEntries(KEPT_NAMES.map((n) => [n, 'kept'])),
    };
    obs.log.info({ ...fields, nested: { config: fields } }, 'settings');

    const [reqLine, fieldLine] = lines
      .map((l) => JSON.parse(l))
      .filter((l) => l.msg === 'request' || l.msg === 'settings');
    expect(reqLine.req.headers['x-request-id']).toBe('r-1');
    for (const name of Object.keys(headers))
      expect(reqLine.req.headers[name.toLowerCase()], name).toBe('[Redacted]');
    for (const line of [fieldLine, fieldLine.nested.config]) {
      for (const name of SECRET_NAMES) expect(line[name], name).toBe('[Redacted]');
      for (const name of KEPT_NAMES) expect(line[name], name).toBe('kept');
    }
    expect(lines.join('')).not.toContain(SECRET);
  });

  it('in a user record’s password hash, as an ORM’s model gives it', async () => {
    const { obs, lines } = startCaptured();
    const hash = '$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy';
    const user = {
      id: 'u-1',
      email: 'ada@example.com',
      passwordHash: hash,
      password_digest: hash,
      PASSWORD_HASH: hash,
      pwd_hash: hash,
      content_hash: 'sha256-kept',
      file_digest: 'md5-kept',
    };
    obs.log.info({ user }, 'signed up');
    const [line] = lines.map((l) => JSON.parse(l));
    expect(line.user).toEqual({
      id: 'u-1',
      email: 'ada@example.com',
      passwordHash: '[Redacted]',
      password_digest: '[Redacted]',
      PASSWORD_HASH: '[Redacted]',
      pwd_hash: '[Redacted]',
      content_hash: 'sha256-kept',
      file_digest: 'md5-kept',
    });
  });

  it('in an outgoing request’s headers an HTTP client’s error holds', async () => {
    const { obs, lines } = startCaptured();
    const server = createServer((_req, res) => res.end('ok'));
    await listen(server);
    const { port } = server.address() as AddressInfo;
    const sent = request({
      host: '127.0.0.1',
      port,
      path: '/',
      headers: { 'x-auth-token': SECRET, 'x-goog-api-key': SECRET, 'x-amz-security-token': SECRET },
    });
    await new Promise<void>((resolve) => {
      sent.on('response', (res) => res.resume().on('end', resolve));
      sent.end();
    });
    obs.log.error({ err: Object.assign(new Error('upstream failed'), { request: sent }) }, 'call failed');
    // As undici holds a request's headers, and as Object.entries() gives them: names among values.
    obs.log.error({ request: { headers: ['x-goog-api-key', SECRET, 'accept', '*/*'] } }, 'undici');
    obs.log.error({ sent: Object.entries({ 'x-auth-token': 'abc123', host: 'svc' }) }, 'entries');
    expect(lines.join('')).not.toContain(SECRET);
    expect(lines.join('')).not.toContain('abc123');
    const [failed, undici] = lines.map((l) => JSON.parse(l));
    expect(failed.err.request.headers['x-auth-token']).toBe('[Redacted]');
    expect(undici.request.headers).toEqual(['x-goog-api-key', '[Redacted]', 'accept', '*/*']);
  });

  it('in a request URL’s query, and in URLs an error’s message quotes', async () => {
    const { obs, lines } = startCaptured();
    await logRequest(
      obs,
      'callback',
      `/cb?id_token=${SECRET}&state=s1&X-Amz-Security-Token=${SECRET}&clientSecret=${SECRET}&_csrf=${SECRET}&userSessionId=${SECRET}`,
    );
    obs.log.error(new Error(`GET https://api.example.com/x?session_token=${SECRET}&page=2 failed`));
    const [callback, failed] = lines.map((l) => JSON.parse(l));
    expect(callback.req.url).toBe(
      '/cb?id_token=[Redacted]&state=s1&X-Amz-Security-Token=[Redacted]&clientSecret=[Redacted]&_csrf=[Redacted]&userSessionId=[Redacted]',
    );
    expect(failed.msg).toBe('GET https://api.example.com/x?session_token=[Redacted]&page=2 failed');
    expect(lines.join('')).not.toContain(SECRET);
  });

  it('in a cookie string a message or a field quotes, as a header sends it', () => {
    const { obs, lines } = startCaptured();
    const sent = `cookie: theme=dark; jsessionid=${SECRET}; lang=en`;
    const set = `Set-Cookie: JSESSIONID=${SECRET}; Path=/; HttpOnly`;
    obs.log.warn({ note: set }, `rejected ${sent}`);
    const [line] = lines.map((l) => JSON.parse(l));
    expect(line.msg).toBe('rejected cookie: theme=dark; jsessionid=[Redacted]; lang=en');
    expect(line.note).toBe('Set-Cookie: JSESSIONID=[Redacted]; Path=/; HttpOnly');
    // A media type's parameters are pairs joined so too, and kept.
    obs.log.info({ accept: 'text/html; charset=utf-8; q=0.9' }, 'negotiated');
    expect(JSON.parse(lines[1] as string).accept).toBe('text/html; charset=utf-8; q=0.9');
  });

  it('in a lone pair after a Cookie or Set-Cookie header’s name, as in a cookie string of two', async () => {
    const { obs, lines, memory } = startCaptured();
    obs.log.warn({ upstream: `set-cookie: sid=${SECRET}` }, `rejected Cookie: JSESSIONID=${SECRET}`);
    obs.log.warn(`Cookie: sessionid="${SECRET}" from the edge`);
    obs.log.warn('Cookie: theme=dark');
    obs.trace('login', (span) => span.setAttribute('app.reply', `Set-Cookie: connect.sid=${SECRET}`));
    await obs.forceFlush();
    const logged = lines.map((l) => JSON.parse(l));
    expect(lines.join('')).not.toContain(SECRET);
    expect(logged.map((l) => l.msg)).toEqual([
      'rejected Cookie: JSESSIONID=[Redacted]',
      'Cookie: sessionid=[Redacted] from the edge',
      'Cookie: theme=dark',
    ]);
    expect(logged[0].upstream).toBe('set-cookie: sid=[Redacted]');
    expect(memory.spans()[0]?.attributes['app.reply']).toBe('Set-Cookie: connect.sid=[Redacted]');
  });

  it('in a lone pair after a Cookie or Set-Cookie header’s name as JSON and util.inspect write it', () => {
    const { obs, lines } = startCaptured();
    const headers = { cookie: `JSESSIONID=${SECRET}`, 'set-cookie': [`sid=${SECRET}`], accept: '*/*' };
    obs.log.warn(`upstream refused ${JSON.stringify(headers)}`);
    obs.log.warn(`upstream refused ${inspect(headers)}`);
    obs.log.warn(`upstream refused ${JSON.stringify({ cookie: 'theme=dark' }, null, 2)}`);
    expect(lines.join('')).not.toContain(SECRET);
    const [json, inspected, kept] = lines.map((l) => JSON.parse(l).msg);
    expect(json).toBe(`upstream refused ${JSON.stringify(headers).replaceAll(SECRET, '[Redacted]')}`);
    expect(inspected).toBe(`upstream refused ${inspect(headers).replaceAll(SECRET, '[Redacted]')}`);
    expect(kept).toBe('upstream refused {\n  "cookie": "theme=dark"\n}');
  });

  it('in each lone pair of a Set-Cookie array, its lines broken as JSON and util.inspect break them', () => {
    const { obs, lines } = startCaptured();
    const headers = { 'set-cookie': [`theme=dark`, `sid=${SECRET}`, `JSESSIONID=${SECRET}`] };
    obs.log.warn(`upstream refused ${JSON.stringify(headers)}`);
    obs.log.warn(`upstream refused ${JSON.stringify(headers, null, 2)}`);
    obs.log.warn(`upstream refused ${inspect(headers)}`);
    obs.log.warn(`upstream refused ${inspect({ 'set-cookie': [`sid=${SECRET}`] }, { compact: false })}`);
    obs.log.warn(`upstream refused ${inspect({ 'set-cookie': ["it's=1", `sid=${SECRET}`] })}`);
    expect(lines.join('')).not.toContain(SECRET);
    const [json, indented, inspected] = lines.map((l) => JSON.parse(l).msg);
    expect(json).toBe(`upstream refused ${JSON.stringify(headers).replaceAll(SECRET, '[Redacted]')}`);
    expect(indented).toBe(
      `upstream refused ${JSON.stringify(headers, null, 2).replaceAll(SECRET, '[Redacted]')}`,
    );
    expect(inspected).toBe(`upstream refused ${inspect(headers).replaceAll(SECRET, '[Redacted]')}`);
    // Each element is looked at, a pair or not; the array's end ends the look.
    obs.log.warn(`${JSON.stringify({ 'set-cookie': ['x', `sid=${SECRET}`] })} sid=kept`);
    expect(JSON.parse(lines[5]!).msg).toBe('{"set-cookie":["x","sid=[Redacted]"]} sid=kept');
  });

  it('in a lone pair after a Cookie or Set-Cookie header’s name in any case, or as logfmt writes it', async () => {
    const { obs, lines, memory } = startCaptured();
    obs.log.warn(`rejected CooKie: sid=${SECRET}`);
    obs.log.warn({ upstream: `SET-COOKie: sid=${SECRET}` }, 'refused');
    obs.log.warn(`upstream refused cookie=JSESSIONID=${SECRET} status=401`);
    obs.log.warn(`upstream refused Cookie="sid=${SECRET}" status=401`);
    obs.log.warn('upstream refused cookie=theme=dark max_cookies=20 cookie=20');
    obs.trace('login', (span) => span.setAttribute('app.reply', `Cookie=sid=${SECRET}`));
    await obs.forceFlush();
    const logged = lines.map((l) => JSON.parse(l));
    expect(lines.join('')).not.toContain(SECRET);
    expect(logged.map((l) => l.msg)).toEqual([
      'rejected CooKie: sid=[Redacted]',
      'refused',
      'upstream refused cookie=JSESSIONID=[Redacted] status=401',
      'upstream refused Cookie="sid=[Redacted]" status=401',
      'upstream refused cookie=theme=dark max_cookies=20 cookie=20',
    ]);
    expect(logged[1].upstream).toBe('SET-COOKie: sid=[Redacted]');
    expect(memory.spans()[0]?.attributes['app.reply']).toBe('Cookie=sid=[Redacted]');
  });

  it('in the pairs of headers held as a list and written as text, and of a Set-Cookie list joined by commas', async () => {
    const { obs, lines, memory } = startCaptured();
    // As a request's rawHeaders and a response's Set-Cookie list are written by a template, %s,
    // util.inspect and JSON.
    const raw = ['Host', 'svc:3000', 'Cookie', `sid=${SECRET}`, 'Accept', '*/*'];
    const setCookie = ['theme=dark; Path=/', `sid=${SECRET}; Path=/; HttpOnly`];
    obs.log.warn(`rejected ${raw}`);
    obs.log.warn('rejected %s', raw);
    obs.log.warn(`rejected ${inspect(raw)}`);
    obs.log.warn(`rejected ${JSON.stringify(raw)}`);
    obs.log.warn(`upstream set-cookie: ${setCookie}`);
    obs.log.warn(`upstream set-cookie: ${['theme=dark', `sid=${SECRET}`, 'lang=en']}`);
    obs.log.warn(`upstream set-cookie: ${['Expires=Wed, 21 Oct 2026 07:28:00 GMT; theme=dark', 'a=1']}`);
    obs.trace('login', (span) => span.setAttribute('app.reply', `Set-Cookie: ${setCookie}`));
    await obs.forceFlush();
    expect(lines.join('')).not.toContain(SECRET);
    const hidden = (text: string) => text.replaceAll(SECRET, '[Redacted]');
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual([
      `rejected ${hidden(String(raw))}`,
      `rejected ${hidden(String(raw))}`,
      `rejected ${hidden(inspect(raw))}`,
      `rejected ${hidden(JSON.stringify(raw))}`,
      'upstream set-cookie: theme=dark; Path=/,sid=[Redacted]; Path=/; HttpOnly',
      // The rest of the value hidden goes with it: the pair's end is not told from the next's.
      'upstream set-cookie: theme=dark,sid=[Redacted]',
      'upstream set-cookie: Expires=Wed, 21 Oct 2026 07:28:00 GMT; theme=dark,a=1',
    ]);
    expect(memory.spans()[0]?.attributes['app.reply']).toBe(
      'Set-Cookie: theme=dark; Path=/,sid=[Redacted]; Path=/; HttpOnly',
    );
  });

  it('under a name to hide in JSON written as text, in a message, a field or a span attribute', async () => {
    const { obs, lines, memory } = startCaptured();
    const headers = { authorization: `Bearer ${SECRET}`, 'x-api-key': SECRET, accept: 'json' };
    const body = {
      username: 'ada',
      password: SECRET,
      pin_password: 1234,
      hasPassword: true,
      max_cookies: 20,
    };
    obs.log.warn(`upstream refused ${JSON.stringify(headers)}`);
    obs.log.warn(`sent ${JSON.stringify({ user: body }, null, 2)}`);
    obs.log.warn({ payload: JSON.stringify(body) }, 'sent');
    obs.log.warn(`sent ${JSON.stringify({ token: `a"b\\${SECRET}` })}`);
    obs.trace('call', (span) => span.setAttribute('app.request', JSON.stringify(headers)));
    obs.log.warn(`upstream refused ${inspect(headers)}`);
    const { pin_password, ...inspected } = body;
    obs.log.warn(`sent ${inspect({ user: inspected, cookie: 'theme=dark' })}`);
    await obs.forceFlush();
    expect(lines.join('')).not.toContain(SECRET);
    const hiddenBody = { ...body, password: '[Redacted]', pin_password: '[Redacted]' };
    const logged = lines.map((l) => JSON.parse(l));
    // Not the whole lines: a line's time can hold 1234 by chance.
    expect(logged.map((l) => `${l.msg} ${l.payload}`).join('')).not.toContain('1234');
    expect(logged.map((l) => l.msg)).toEqual([
      'upstream refused {"authorization":"[Redacted]","x-api-key":"[Redacted]","accept":"json"}',
      `sent ${JSON.stringify({ user: hiddenBody }, null, 2)}`,
      'sent',
      'sent {"token":"[Redacted]"}',
      "upstream refused {\n  authorization: '[Redacted]',\n  'x-api-key': '[Redacted]',\n  accept: 'json'\n}",
      // As util.inspect writes objects: a string under a key is read, a cookie's pairs as a cookie's.
      `sent ${inspect({ user: { ...inspected, password: '[Redacted]' }, cookie: 'theme=dark' })}`,
    ]);
    expect(JSON.parse(logged[2].payload)).toEqual(hiddenBody);
    expect(memory.spans()[0]?.attributes['app.request']).toBe(
      '{"authorization":"[Redacted]","x-api-key":"[Redacted]","accept":"json"}',
    );
  });

  it('in an Authorization header line of any scheme, as a request’s head is written', async () => {
    const { obs, lines, memory } = startCaptured();
    obs.log.warn(`sent GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer ${SECRET}\r\nAccept: */*\r\n\r\n`);
    obs.log.warn(`proxy-authorization:Basic ${SECRET}`);
    obs.log.warn({ head: `AUTHORIZATION: Digest username="ada", response="${SECRET}"\nHost: a` });
    obs.trace('call', (span) =>
      span.setAttribute('app.head', `Authorization: AWS4-HMAC-SHA256 Credential=AKIA/x, Signature=${SECRET}`),
    );
    obs.log.warn('authorization: "kept" and authorization:');
    await obs.forceFlush();
    expect(lines.join('')).not.toContain(SECRET);
    expect(lines.map((l) => JSON.parse(l).msg ?? JSON.parse(l).head)).toEqual([
      'sent GET / HTTP/1.1\r\nHost: a\r\nAuthorization: [Redacted]\r\nAccept: */*\r\n\r\n',
      'proxy-authorization:[Redacted]',
      'AUTHORIZATION: [Redacted]\nHost: a',
      'authorization: "kept" and authorization:',
    ]);
    expect(memory.spans()[0]?.attributes['app.head']).toBe('Authorization: [Redacted]');
  });

  it('under a name to hide in what util.inspect writes of a string holding a quote', async () => {
    const { obs, lines, memory } = startCaptured();
    // util.inspect quotes a string holding a `'` in `"`: a password may hold one.
    const login = { username: 'ada', password: `it's-${SECRET}`, note: 'say "hi"' };
    obs.log.warn(`login failed ${inspect(login)}`);
    obs.trace('login', (span) => span.setAttribute('app.login', inspect(login)));
    await obs.forceFlush();
    expect(lines.join('')).not.toContain(SECRET);
    const hidden = inspect(login).replace(`"it's-${SECRET}"`, '"[Redacted]"');
    expect(hidden).not.toBe(inspect(login));
    expect(JSON.parse(lines[0] as string).msg).toBe(`login failed ${hidden}`);
    expect(memory.spans()[0]?.attributes['app.login']).toBe(hidden);
  });

  it('under a name to hide that starts the text, as util.inspect writes a key', async () => {
    const { obs, lines, memory } = startCaptured();
    obs.log.warn(`apiKey: '${SECRET}' refused`);
    obs.log.warn({ detail: `password: "it's-${SECRET}"` }, 'login failed');
    obs.trace('call', (span) => span.setAttribute('app.key', `token: '${SECRET}'`));
    await obs.forceFlush();
    expect(lines.join('')).not.toContain(SECRET);
    const [first, second] = lines.map((l) => JSON.parse(l));
    expect(first.msg).toBe("apiKey: '[Redacted]' refused");
    expect(second.detail).toBe('password: "[Redacted]"');
    expect(memory.spans()[0]?.attributes['app.key']).toBe("token: '[Redacted]'");
  });

  it("under a name to hide in near forms of JSON and util.inspect: a space before the colon, keys in `'`, a Map, an array of strings", () => {
    const { obs, lines } = startCaptured();
    const texts = [
      `{"password" : "${SECRET}"}`,
      `{'password':'${SECRET}'}`,
      `Map(1) { 'authorization' => 'Bearer ${SECRET}' }`,
      `{"password":["${SECRET}","${SECRET}"]}`,
      `{ token: [ '${SECRET}', '${SECRET}' ] }`,
    ];
    for (const text of texts) {
      obs.log.warn(`refused ${text} upstream`);
      obs.log.warn({ detail: text }, 'refused');
    }
    expect(lines.join('')).not.toContain(SECRET);
    const hidden = [
      '{"password" : "[Redacted]"}',
      "{'password':'[Redacted]'}",
      "Map(1) { 'authorization' => '[Redacted]' }",
      '{"password":["[Redacted]","[Redacted]"]}',
      "{ token: [ '[Redacted]', '[Redacted]' ] }",
    ];
    const written = lines.map((l) => JSON.parse(l));
    expect(written.filter((_, i) => i % 2 === 0).map((l) => l.msg)).toEqual(
      hidden.map((h) => `refused ${h} upstream`),
    );
    expect(written.filter((_, i) => i % 2 === 1).map((l) => l.detail)).toEqual(hidden);
  });

  it('in near forms of JSON and util.inspect written many times over, read in time linear in the text', () => {
    const { obs, lines } = startCaptured();
    // Each form's separator, over and over, compared with a text of the same size that breaks it.
    const textOf = (part: string) => `a=1 ${part.repeat(65536 / part.length)} {"password" : "${SECRET}"}`;
    const log = (text: string) => obs.log.info(text);
    for (const [plain, form] of [
      ['" ; ', '" : '],
      ["a;'", "a:'"],
      ["'a' >= '", "'a' => '"],
      ['"a":-"', '"a":["'],
      ['a: - ', 'a: [ '],
      ['"password":-"', '"password":["'],
      ["password: - '", "password: [ '"],
      ["'password' >= '", "'password' => '"],
    ])
      expect(growth(log, textOf(plain as string), textOf(form as string)), form).toBeLessThan(32);
    expect(JSON.parse(lines.at(-1) as string).msg).not.toContain(SECRET);
  });

  it('under a name to hide in JSON held in a JSON string, as an HTTP client’s request options are written', () => {
    const { obs, lines } = startCaptured();
    // axios keeps a JSON body as the JSON text it sent: its options given to JSON.stringify escape it.
    const body = JSON.stringify({
      username: 'ada',
      password: `a"b\\${SECRET}`,
      pin_password: 1234,
      remember: true,
    });
    const options = { method: 'post', url: '/login', data: body };
    obs.log.warn(`login failed: ${JSON.stringify(options)}`);
    obs.log.warn({ request: JSON.stringify(options) }, 'login failed');
    expect(lines.join('')).not.toContain(SECRET);
    expect(lines.join('')).not.toContain('1234');
    const hidden = JSON.stringify({
      ...options,
      data: JSON.stringify({
        username: 'ada',
        password: '[Redacted]',
        pin_password: '[Redacted]',
        remember: true,
      }),
    });
    const [message, field] = lines.map((l) => JSON.parse(l));
    expect(message.msg).toBe(`login failed: ${hidden}`);
    expect(field.request).toBe(hidden);
  });

  it('under a name to hide in JSON or util.inspect output cut short in its string, as a body cut at a length', () => {
    const { obs, lines } = startCaptured();
    // A response's body is often logged cut to its first bytes: the cut falls in the token's string.
    const body = JSON.stringify({ token_type: 'bearer', access_token: `${SECRET}-and-more` });
    obs.log.warn(`token refused: ${body.slice(0, body.indexOf('-and-more'))}`);
    obs.log.warn({ body: body.slice(0, body.indexOf('-and-more')) }, 'token refused');
    const head = inspect({ accept: 'json', authorization: `Bearer ${SECRET}-and-more` });
    obs.log.warn(`sent ${head.slice(0, head.indexOf('-and-more'))}`);
    expect(lines.join('')).not.toContain(SECRET);
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual([
      'token refused: {"token_type":"bearer","access_token":"[Redacted]',
      'token refused',
      `sent ${head.slice(0, head.indexOf("'Bearer"))}'[Redacted]`,
    ]);
    expect(JSON.parse(lines[1] as string).body).toBe('{"token_type":"bearer","access_token":"[Redacted]');
  });

  it('in an Authorization header line of a request’s head given to JSON.stringify, to its line’s end alone', () => {
    const { obs, lines } = startCaptured();
    const head = `GET / HTTP/1.1\r\nAuthorization: Bearer ${SECRET}\r\nHost: api.example.com\r\n\r\n`;
    obs.log.warn(`refused ${JSON.stringify({ request: head, status: 401 })}`);
    obs.log.warn(
      `refused ${JSON.stringify(`Proxy-Authorization: Basic ${SECRET}\nVia: 1.1 proxy`)} by proxy`,
    );
    expect(lines.join('')).not.toContain(SECRET);
    // The escaped line ends were read as the value's: the rest of the head and of the JSON went with it.
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual([
      `refused ${JSON.stringify({ request: head.replace(`Bearer ${SECRET}`, '[Redacted]'), status: 401 })}`,
      `refused ${JSON.stringify('Proxy-Authorization: [Redacted]\nVia: 1.1 proxy')} by proxy`,
    ]);
  });

  it('in a header line of another header named to hide, as an Authorization line is', async () => {
    const { obs, lines, memory } = startCaptured();
    obs.log.warn(`upstream refused, X-Api-Key: ${SECRET}`);
    obs.log.warn(`sent x-api-key: ${SECRET}\r\ncontent-type: json`);
    obs.log.warn({ head: `DD-API-KEY: ${SECRET}\nX-Auth-Token:${SECRET}\nAccept: */*` }, 'sent');
    obs.log.warn(`refused ${JSON.stringify(`GET / HTTP/1.1\r\nApi-Key: ${SECRET}\r\nHost: a\r\n`)}`);
    obs.log.warn(`sent X-Goog-Api-Key: ${SECRET} (retry 2)`);
    obs.trace('call', (span) => {
      span.setAttribute('app.head', `X-Amz-Security-Token: ${SECRET}`);
      span.setAttribute('app.heads', [`Ocp-Apim-Subscription-Key: ${SECRET}`, 'Accept: */*']);
      span.setAttribute('app.sent', [`Authorization: Bearer ${SECRET}`]);
    });
    await obs.forceFlush();
    expect(lines.join('')).not.toContain(SECRET);
    expect(lines.map((l) => JSON.parse(l).head ?? JSON.parse(l).msg)).toEqual([
      'upstream refused, X-Api-Key: [Redacted]',
      'sent x-api-key: [Redacted]\r\ncontent-type: json',
      'DD-API-KEY: [Redacted]\nX-Auth-Token:[Redacted]\nAccept: */*',
      `refused ${JSON.stringify('GET / HTTP/1.1\r\nApi-Key: [Redacted]\r\nHost: a\r\n')}`,
      'sent X-Goog-Api-Key: [Redacted]',
    ]);
    // Each header's name above written with a `-`, as a line of its own.
    const hyphenated = SECRET_NAMES.filter((n) => /^[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)+$/.test(n));
    expect(hyphenated.length).toBeGreaterThan(10);
    for (const name of hyphenated) obs.log.warn(`sent ${name}: ${SECRET}\r\nAccept: */*`);
    expect(lines.join('')).not.toContain(SECRET);
    expect(lines.slice(5).map((l) => JSON.parse(l).msg)).toEqual(
      hyphenated.map((name) => `sent ${name}: [Redacted]\r\nAccept: */*`),
    );
    const attributes = memory.spans()[0]?.attributes;
    expect(attributes?.['app.head']).toBe('X-Amz-Security-Token: [Redacted]');
    expect(attributes?.['app.heads']).toEqual(['Ocp-Apim-Subscription-Key: [Redacted]', 'Accept: */*']);
    expect(attributes?.['app.sent']).toEqual(['Authorization: [Redacted]']);
  });

  it('in a header line of a header named in redact, as in the JSON of its headers', async () => {
    const { obs, lines, memory } = startCaptured({ redact: ['X-Partner-Signature', 'x-tenant-pin'] });
    obs.log.warn(`upstream refused, X-Partner-Signature: ${SECRET}`);
    obs.log.warn(`sent ${JSON.stringify(`GET / HTTP/1.1\r\nx-tenant-pin: ${SECRET}\r\nHost: a\r\n`)}`);
    obs.log.warn({ head: `X-TENANT-PIN:${SECRET}\nAccept: */*` }, 'sent');
    obs.log.warn(`sent {"x-partner-signature":"${SECRET}"}`);
    obs.trace('call', (span) => span.setAttribute('app.heads', [`X-Partner-Signature: ${SECRET}`]));
    await obs.forceFlush();
    expect(lines.join('')).not.toContain(SECRET);
    expect(lines.map((l) => JSON.parse(l).head ?? JSON.parse(l).msg)).toEqual([
      'upstream refused, X-Partner-Signature: [Redacted]',
      `sent ${JSON.stringify('GET / HTTP/1.1\r\nx-tenant-pin: [Redacted]\r\nHost: a\r\n')}`,
      'X-TENANT-PIN:[Redacted]\nAccept: */*',
      'sent {"x-partner-signature":"[Redacted]"}',
    ]);
    expect(memory.spans()[0]?.attributes['app.heads']).toEqual(['X-Partner-Signature: [Redacted]']);
    // Other names before a colon, and the configured name in prose, are kept.
    obs.log.info('x-tenant-pin rotation: done, X-Partner: ok, Content-Type: json');
    expect(JSON.parse(lines.at(-1) as string).msg).toBe(
      'x-tenant-pin rotation: done, X-Partner: ok, Content-Type: json',
    );
  });

  it('in a line of an environment variable named to hide, its name in capitals joined by `_`', async () => {
    const texts = [
      [`DD_API_KEY: ${SECRET}`, 'DD_API_KEY: [Redacted]'],
      [`env AWS_SECRET_ACCESS_KEY:${SECRET}`, 'env AWS_SECRET_ACCESS_KEY:[Redacted]'],
      [
        `NEW_RELIC_LICENSE_KEY: ${SECRET}\nNEW_RELIC_APP_NAME: checkout`,
        'NEW_RELIC_LICENSE_KEY: [Redacted]\nNEW_RELIC_APP_NAME: checkout',
      ],
      [`env: {\n  DB_PASSWORD: ${SECRET}\n}`, 'env: {\n  DB_PASSWORD: [Redacted]\n}'],
    ];
    // Names that hold none, and keys in lower case as util.inspect writes them, are kept.
    await expectHiddenEverywhere(texts, [
      'MAX_TOKENS: 512, DD_API_KEY_ID: 42',
      inspect({ session_token: null, max_tokens: 5 }),
    ]);
  });

  it('but not in prose that names such a header mid-sentence before words, nor a word that ends in one', async () => {
    await expectHiddenEverywhere(
      [
        [`sent Authorization: Bearer ${SECRET}`, 'sent Authorization: [Redacted]'],
        [`checking authorization: bearer ${SECRET} now`, 'checking authorization: [Redacted]'],
        [`request had X-Api-Key: ${SECRET} retrying`, 'request had X-Api-Key: [Redacted]'],
        ['sent x-api-key: sentinelsecretvalue', 'sent x-api-key: [Redacted]'],
        [
          `upstream refused, X-Forwarded-Authorization: ${SECRET}`,
          'upstream refused, X-Forwarded-Authorization: [Redacted]',
        ],
        [`Authorization: user ${SECRET}`, 'Authorization: [Redacted]'],
      ],
      [
        'checking authorization: user 42 allowed',
        'validating x-api-key: header present on request 7',
        'reauthorization: ok',
        'preauthorization: hold placed for order 7',
      ],
    );
  });

  it('in a header line mid-sentence whose scheme is none of the registry, its credential no word of prose', async () => {
    const discord = 'MTk4NjIyNDgzNDcxOTI1MjQ4.Cl2FMQ.ZnCjm1XVW7vRze4b7Cq4se7kKWs';
    await expectHiddenEverywhere(
      [
        [`sending Authorization: Bot ${discord}`, 'sending Authorization: [Redacted]'],
        [
          'signed with Authorization: Hawk id="dh37fgj492je", mac="6R4rV5iE+NPoym="',
          'signed with Authorization: [Redacted]',
        ],
        [`calling with x-api-key: live ${SECRET}`, 'calling with x-api-key: [Redacted]'],
        ['calling with x-api-key: live QWERTYUIOPASDFGH', 'calling with x-api-key: [Redacted]'],
      ],
      [
        'checking authorization: user 42 allowed',
        'checking authorization: Done for user ada.',
        // An error's words, an acronym among them.
        'request rejected: missing Authorization: Invalid API key',
        'call failed with Authorization: Expected JWT, got none',
      ],
    );
  });

  it('but not in prose that only holds such a name, nor under a header name that names none', () => {
    const { obs, lines } = startCaptured();
    const kept = [
      // The word before the colon is the header's name: here it is `rotation`, `docs`, `expiry`.
      'api-key rotation: done',
      'see the X-Api-Key docs: https://docs.example/headers',
      'x-api-key expiry: 2026-12-01T04:14:10Z',
      // Names that only start with, or hold, one to hide name no credential.
      'x-api-key-rotation: done',
      'api-keys: 3',
      'X-Api-Key-Id: 42',
      'Content-Type: application/json',
      'Access-Control-Allow-Headers: Authorization, X-Api-Key',
      'Access-Control-Allow-Credentials: true',
      // A name without a `-` is not read as a header's, nor a word that starts with a digit.
      'apikey: rotated',
      '2026-12-01T04:14:10Z tenant-a: ok',
      // A value quoted or missing is left, as an Authorization line's is.
      'X-Api-Key: "none" and X-Api-Key:',
    ];
    for (const text of kept) obs.log.info(text);
    // A cookie header's pairs are read one by one, those to hide alone hidden.
    obs.log.info(`Set-Cookie: theme=dark; sid=${SECRET}`);
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual([...kept, 'Set-Cookie: theme=dark; sid=[Redacted]']);
  });

  it('in a value assigned to such a name in text, as logfmt, a shell or a command line writes one', async () => {
    const texts = [
      [
        `upstream said: at=warn x-api-key="${SECRET}" status=401`,
        'upstream said: at=warn x-api-key="[Redacted]" status=401',
      ],
      [`authorization="Bearer ${SECRET}" level=info`, 'authorization="[Redacted]" level=info'],
      [`authorization=Bearer ${SECRET} level=info`, 'authorization=[Redacted] level=info'],
      [`api_key='${SECRET}' token=${SECRET} user=ada`, "api_key='[Redacted]' token=[Redacted] user=ada"],
      [`env: DD_API_KEY=${SECRET} DD_SITE=datadoghq.eu`, 'env: DD_API_KEY=[Redacted] DD_SITE=datadoghq.eu'],
      [`NEW_RELIC_LICENSE_KEY=${SECRET}`, 'NEW_RELIC_LICENSE_KEY=[Redacted]'],
      [`export AWS_SECRET_ACCESS_KEY=${SECRET}/K7MDENG`, 'export AWS_SECRET_ACCESS_KEY=[Redacted]'],
      [`spawned node app --password=${SECRET} --port=80`, 'spawned node app --password=[Redacted] --port=80'],
      [`login failed (session_id=${SECRET}), retrying`, 'login failed (session_id=[Redacted]), retrying'],
      [`{"cmd":"login --client-secret=${SECRET}"}`, '{"cmd":"login --client-secret=[Redacted]"}'],
      [`password="it is ${SECRET}`, 'password="[Redacted]'],
      // The mark that ends a value in a list or a sentence is the text's, not the value's.
      [`login failed for password=${SECRET}, retrying`, 'login failed for password=[Redacted], retrying'],
      [`db: DB_PASSWORD = ${SECRET}; DB_USER = app`, 'db: DB_PASSWORD = [Redacted]; DB_USER = app'],
      [`authorization=Bearer ${SECRET}, level=info`, 'authorization=[Redacted], level=info'],
    ];
    await expectHiddenEverywhere(texts);
  });

  it('in a value assigned to such a name in a flag’s value, as docker and kubectl take one', async () => {
    await expectHiddenEverywhere(
      [
        [`docker run --env=DD_API_KEY=${SECRET} img`, 'docker run --env=DD_API_KEY=[Redacted] img'],
        [
          `kubectl create secret generic db --from-literal=password=${SECRET}`,
          'kubectl create secret generic db --from-literal=password=[Redacted]',
        ],
        [`docker build --build-arg=NPM_TOKEN=${SECRET} .`, 'docker build --build-arg=NPM_TOKEN=[Redacted] .'],
        [`env:AWS_SECRET_ACCESS_KEY=${SECRET}`, 'env:AWS_SECRET_ACCESS_KEY=[Redacted]'],
      ],
      ['--env=NODE_ENV=production --label=cache_key=v2 time=12:30:00 hash=abc==', 'a==b x:=token'],
    );
  });

  it('in a value assigned to such a name with blanks around the =, as TOML, INI and aligned dumps write one', async () => {
    const texts = [
      [`config: api_key = "${SECRET}"`, 'config: api_key = "[Redacted]"'],
      [`DB_PASSWORD = ${SECRET} ; from env`, 'DB_PASSWORD = [Redacted] ; from env'],
      [`client_secret\t=\t'${SECRET}' scope=read`, "client_secret\t=\t'[Redacted]' scope=read"],
      [
        `aws_secret_access_key     = ${SECRET}\nregion = eu-west-1`,
        'aws_secret_access_key     = [Redacted]\nregion = eu-west-1',
      ],
      [`password =${SECRET}`, 'password =[Redacted]'],
    ];
    const kept = [
      'if token == null or token != x then password = null or api_key = ',
      'then password= empty',
      'cache_key = users:42 user_id = 7 has_password = true',
      // A query's placeholders, as node-postgres and mysql2 log a query, hold none.
      'UPDATE users SET password_hash = $1, api_key=$2 WHERE id = $3',
      'INSERT INTO creds (token, secret) VALUES (?, ?) -- token = ? and secret=?',
    ];
    await expectHiddenEverywhere(texts, kept);
    const { obs } = startCaptured();
    expectLinear((text) => obs.log.info(text), [' token = ', ' = ', 'token = "', `token${' '.repeat(60)}= `]);
  });

  it('but not in a query’s placeholder, NULL or column assigned to such a name, as drivers and ORMs log one', async () => {
    await expectHiddenEverywhere(
      [
        [
          `UPDATE users SET token = '${SECRET}' WHERE id = $1;`,
          "UPDATE users SET token = '[Redacted]' WHERE id = $1;",
        ],
      ],
      [
        // A cast after it (node-postgres), the statement's end, SQL Server's and Oracle's own forms.
        'SELECT * FROM sessions WHERE token = $1::text AND expires_at > now()',
        'DELETE FROM api_keys WHERE api_key = ?;',
        'UPDATE users SET password_hash = $1; COMMIT',
        'UPDATE users SET password_hash = @0, token = @1 WHERE id = @2',
        'UPDATE users SET token = :1 WHERE id = :2',
        // SQL writes null in capitals.
        'UPDATE sessions SET token = NULL, refresh_token = Null WHERE user_id = $1',
        // A column of the same name, a table's or an upsert's row's.
        'INSERT INTO keys (id, api_key, secret) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET api_key = EXCLUDED.api_key, secret = excluded.secret',
        'SELECT u.id FROM users u JOIN sessions s ON s.token = u.token WHERE s.id = $1',
      ],
    );
  });

  it('in the credential after a scheme in a value assigned, past blanks or in quotes', async () => {
    await expectHiddenEverywhere([
      [`authorization=Bearer  ${SECRET} level=info`, 'authorization=[Redacted] level=info'],
      [`authorization=Bearer\t${SECRET} level=info`, 'authorization=[Redacted] level=info'],
      [`authorization=Bearer "${SECRET}" level=info`, 'authorization=[Redacted] level=info'],
      [`authorization = Basic ${SECRET}`, 'authorization = [Redacted]'],
      [`authorization=Bearer '${SECRET}`, 'authorization=[Redacted]'],
    ]);
    const { obs } = startCaptured();
    expectLinear((text) => obs.log.info(text), [' token=Bearer  "a" ', " token=Bearer '", ' token=Basic\t']);
  });

  it('in a value assigned to a name given in redact, whatever its form, as its value in a query is', async () => {
    const texts = [
      [`checked ssn=${SECRET} level=info`, 'checked ssn=[Redacted] level=info'],
      [`card_number="${SECRET}" status=declined`, 'card_number="[Redacted]" status=declined'],
      [`x-partner-signature=${SECRET} ok`, 'x-partner-signature=[Redacted] ok'],
      [`SSN=${SECRET} cache_key=${SECRET}`, 'SSN=[Redacted] cache_key=[Redacted]'],
      [`GET /check?ssn=${SECRET} -> 200`, 'GET /check?ssn=[Redacted] -> 200'],
    ];
    // Other names that end so are not read for one given.
    const kept = ['lessn=3 disk_number=2 user_id=42 primary_key=7'];
    await expectHiddenEverywhere(texts, kept, {
      redact: ['ssn', 'card_number', 'X-Partner-Signature', 'cache_key'],
    });
  });

  it('but not in a value assigned to a name that names none, nor in a flag, a setting or a comparison', async () => {
    await expectHiddenEverywhere(
      [],
      [
        'max_tokens=512 tokens_used=20 token_count=3 cache_key=users:42 primary_key=7',
        'hasPassword=false requireApiKey=true disable_csrf=true max_cookies=20 token=null',
        'grant_type=password x=token session.id=abc user_id=42 level=info',
        'if token==null or a = b then password= empty',
        'body: username=ada&password=[Redacted]',
        // A session cookie's pair alone is not told from other text.
        '(DESCRIPTION=(CONNECT_DATA=(SID=ORCL)))',
      ],
    );
  });

  it('in values assigned to such names written many times over, read in time linear in the text', () => {
    const { obs, lines } = startCaptured();
    const parts = [
      ' token=',
      'token=',
      ' token=a',
      ' (token=a)',
      ' (token=true)',
      ' token="a',
      " a_token='",
      '-token=',
    ];
    expectLinear((text) => obs.log.info(text), parts);
    expect(lines.join('')).not.toContain('token=a');
  });

  it('in header lines written many times over, read in time linear in the text', () => {
    const { obs, lines } = startCaptured();
    const log = (text: string) => obs.log.info(text);
    // 200 KB of each within a second, and against 12.5 KB, 16 times shorter (see growth).
    const textOf = (part: string, kb: number) => `${part.repeat((kb * 1000) / part.length)}:`;
    for (const part of ['a-a:', 'a-', 'X-Api-Key: a\\', '\\nX-Api-Key:a', 'X-Api-Key::', 'Authorization:']) {
      const started = performance.now();
      log(textOf(part, 200));
      expect(performance.now() - started, part).toBeLessThan(1000);
      expect(growth(log, textOf(part, 12.5), textOf(part, 200)), part).toBeLessThan(64);
    }
    // Each of many header lines, as of one.
    log(`${`X-Api-Key: ${SECRET}\n`.repeat(100)}end`);
    expect(JSON.parse(lines.at(-1) as string).msg).toBe(`${'X-Api-Key: [Redacted]\n'.repeat(100)}end`);
  });

  it('after a Cookie header’s name written many times over, read in time linear in the text', () => {
    const { obs, lines } = startCaptured();
    // Each `Cookie:` had the name after it read on to the text's end, where no space ended it: 64 KB
    // of them held the event loop for over a second, a thousand times what as many written with a
    // space after each took. Compared with those, and loosely, as a busy machine slows both alike.
    const textOf = (header: string) => `a=1 ${header.repeat(65536 / header.length)} Cookie: sid=${SECRET}`;
    const log = (text: string) => obs.log.info(text);
    expect(growth(log, textOf('Cookie: '), textOf('Cookie:'))).toBeLessThan(32);
    expect(JSON.parse(lines.at(-1) as string).msg).toBe(textOf('Cookie:').replace(SECRET, '[Redacted]'));
  });

  it('after a Cookie header’s pair written many times over in one word, read in time linear in the text', () => {
    const { obs, lines } = startCaptured();
    // Each pair's value, of a name not to hide, was read on to the word's end for a `,` before a
    // name to hide, and a header's list (`Cookie,sid=...`) read it so for its end: 64 KB of them in
    // a word held the event loop for seconds, a thousand times what as many with a space took.
    const textOf = (header: string) => `a=1 ${header.repeat(65536 / header.length)} Cookie: sid=${SECRET}`;
    const log = (text: string) => obs.log.info(text);
    for (const pair of ['Cookie:a=', 'cookie=a=', 'Cookie,a=', 'Cookie:a=,', 'Cookie,sid=x,'])
      expect(growth(log, textOf(`${pair} `), textOf(pair)), pair).toBeLessThan(32);
    expect(JSON.parse(lines.at(-1) as string).msg).not.toContain(SECRET);
    // The value to hide after a `,` is read from its own start: one quoted (RFC 6265) is all of it.
    obs.log.warn(`upstream set-cookie: theme=dark,sid="${SECRET}"`);
    expect(JSON.parse(lines.at(-1) as string).msg).toBe('upstream set-cookie: theme=dark,sid=[Redacted]');
  });

  it('in a cookie string whose value is quoted, as RFC 6265 allows', () => {
    const { obs, lines } = startCaptured();
    obs.log.warn(`rejected cookie: theme=dark; sessionid="${SECRET}"; lang=en`);
    obs.log.warn(`Set-Cookie: JSESSIONID="${SECRET}"; Path=/`);
    const [sent, set] = lines.map((l) => JSON.parse(l).msg);
    expect(sent).toBe('rejected cookie: theme=dark; sessionid=[Redacted]; lang=en');
    expect(set).toBe('Set-Cookie: JSESSIONID=[Redacted]; Path=/');
  });

  it('in a cookie string after a pair whose value holds a `?`', () => {
    const { obs, lines } = startCaptured();
    obs.log.warn(`rejected cookie: returnTo=/cart?item=1; jsessionid=${SECRET}`);
    const [line] = lines.map((l) => JSON.parse(l));
    expect(line.msg).toBe('rejected cookie: returnTo=/cart?item=1; jsessionid=[Redacted]');
  });

  it('in a cookie string whose hidden value holds a `?`, written once and hidden whole', () => {
    const { obs, lines } = startCaptured();
    obs.log.warn(`rejected cookie: theme=dark; sid=${SECRET}?token=t1 from the edge`);
    const [line] = lines.map((l) => JSON.parse(l));
    expect(line.msg).toBe('rejected cookie: theme=dark; sid=[Redacted] from the edge');
    expect(lines.join('')).not.toContain(SECRET);
  });

  it('in text of many pairs joined by `; `, read in time linear in its length', () => {
    const { obs, lines } = startCaptured();
    // Each `; ` looked for the `=` of the pair before it on to the text's end, where the only one
    // was: 1 MB held the event loop for most of a second, and 256 KB took 16 times less, not 4.
    const textOf = (kb: number) => `${'a b; '.repeat(kb * 200)}=x`;
    expect(growth((text) => obs.log.info(text), textOf(64), textOf(1024))).toBeLessThan(64);
    expect(JSON.parse(lines.at(-1) as string).msg).toBe(textOf(1024));
  });

  it('in the body an HTTP client’s error holds as it sent it, as JSON or a form', async () => {
    const { obs, lines } = startCaptured();
    const { err: login } = await axiosFailure({ accept: 'application/json' }, 'sid=1', '/login');
    login.config.data = JSON.stringify({ username: 'ada', password: SECRET, remember: true });
    const { err: grant } = await axiosFailure({ accept: 'application/json' }, 'sid=1', '/oauth/token');
    grant.config.data = `grant_type=client_credentials&client_id=svc&client_secret=${SECRET}`;
    obs.log.error({ err: login }, 'login failed');
    obs.log.error({ err: grant }, 'token request failed');
    expect(lines.join('')).not.toContain(SECRET);
    const [first, second] = lines.map((l) => JSON.parse(l));
    expect(JSON.parse(first.err.config.data)).toEqual({
      username: 'ada',
      password: '[Redacted]',
      remember: true,
    });
    expect(second.err.config.data).toBe(
      'grant_type=client_credentials&client_id=svc&client_secret=[Redacted]',
    );
  });

  it('but for a flag, which tells whether there is one and holds none', () => {
    const { obs, logs, memory } = startCaptured();
    const flags = { hasPassword: false, has_token: true, requireApiKey: true, isSecret: false };
    obs.log.info({ ...flags, password: SECRET, user: { ...flags, auth: true } }, 'signed up');
    obs.trace('signup', (span) => {
      span.setAttributes({ 'app.has_token': true, 'app.session_token': SECRET });
    });
    const [line] = logs();
    expect(line).toMatchObject({ ...flags, password: '[Redacted]', user: { ...flags, auth: true } });
    const [span] = memory.spans();
    expect(span?.attributes).toMatchObject({ 'app.has_token': true, 'app.session_token': '[Redacted]' });
  });

  it('but for a flag or count named for what a CSRF token or cookie protects, written as text too', () => {
    const { obs, logs, memory } = startCaptured();
    // As environment variables and forms give them: text.
    const flags = {
      disable_csrf: 'true',
      SKIP_XSRF: 'FALSE',
      enableCsrf: 'false',
      csrf: 1,
      use_cookies: 'true',
      max_cookies: 20,
    };
    const secrets = {
      _csrf: SECRET,
      csrftoken: SECRET,
      xsrf: SECRET,
      session_cookie: SECRET,
      password: 1234,
    };
    obs.log.info({ ...flags, ...secrets, config: flags }, 'started');
    obs.trace('boot', (span) =>
      span.setAttributes({ 'app.disable_csrf': 'true', 'app.max_cookies': 20, 'app.csrf': SECRET }),
    );
    const [line] = logs();
    expect(line).toMatchObject({ ...flags, config: flags });
    for (const key of Object.keys(secrets)) expect(line?.[key]).toBe('[Redacted]');
    expect(memory.spans()[0]?.attributes).toMatchObject({
      'app.disable_csrf': 'true',
      'app.max_cookies': 20,
      'app.csrf': '[Redacted]',
    });
  });

  it('but for such a flag or count in a query or form, as in a field', () => {
    const { obs, logs, memory } = startCaptured();
    const query = `disable_csrf=true&SKIP_XSRF=FALSE&max_cookies=20&_csrf=${SECRET}&csrf=${SECRET}`;
    const clean = 'disable_csrf=true&SKIP_XSRF=FALSE&max_cookies=20&_csrf=[Redacted]&csrf=[Redacted]';
    obs.log.info({ url: `/login?${query}`, 'url.query': query }, `GET /login?${query} -> 200`);
    // Something encoded in it: read as a URL given in the query may be.
    obs.trace('GET', (span) => span.setAttribute('url.full', `https://a.example/login?to=%2Fa&${query}`));
    obs.log.info({ data: `${query}&password=${SECRET}` });
    const [line, form] = logs();
    expect(line).toMatchObject({
      url: `/login?${clean}`,
      'url.query': clean,
      msg: `GET /login?${clean} -> 200`,
    });
    expect(memory.spans()[0]?.attributes['url.full']).toBe(`https://a.example/login?to=%2Fa&${clean}`);
    expect(form?.data).toBe(`${clean}&password=[Redacted]`);
  });

  it('in a body with no name to hide, which is written as given and never parsed', async () => {
    const { obs, lines } = startCaptured();
    let deep: unknown = { leaf: 'kept' };
    for (let i = 0; i < 40; i++) deep = { n: deep, id: i };
    const nested = JSON.stringify(deep);
    const items = JSON.stringify(Array.from({ length: 200 }, (_, i) => ({ id: i, at: '12:30:00' })));
    const parse = vi.spyOn(JSON, 'parse');
    try {
      obs.log.info({ err: { config: { data: nested } }, body: items }, 'sent');
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
    const [line] = lines.map((l) => JSON.parse(l));
    expect(line.err.config.data).toBe(nested);
    expect(line.body).toBe(items);
  });

  it('in a body whose names to hide are spaced from their colon or escaped', () => {
    const { obs, lines, logs } = startCaptured();
    obs.log.info({ data: `{"user":"ada", "password" :"${SECRET}","pass\\u0077d":"${SECRET}"}` }, 'sent');
    obs.log.info({ body: `[{"a":{"b":"x\\":","client_secret":"${SECRET}"}}]` }, 'sent');
    expect(lines.join('')).not.toContain(SECRET);
    expect(JSON.parse(logs()[0]?.data).user).toBe('ada');
  });

  it('in a query parameter named as a nested form field, as qs and PHP read one', async () => {
    const { obs, lines } = startCaptured();
    await logRequest(
      obs,
      'login',
      `/login?user[name]=ada&user[password]=${SECRET}&auth%5Btoken%5D=${SECRET}&token[]=${SECRET}`,
    );
    const [login] = lines.map((l) => JSON.parse(l));
    expect(login.req.url).toBe(
      '/login?user[name]=ada&user[password]=[Redacted]&auth%5Btoken%5D=[Redacted]&token[]=[Redacted]',
    );
  });

  it('in a presigned URL’s signature and credential (S3’s SigV4, Google Cloud Storage’s V4)', async () => {
    const { obs, lines, memory } = startCaptured();
    const s3 =
      `/invoices/o-123.pdf?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${SECRET}` +
      `&X-Amz-Date=20261130T120000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host` +
      `&X-Amz-Security-Token=${SECRET}&X-Amz-Signature=${SECRET}`;
    const gcs = `https://storage.googleapis.com/b/o?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=${SECRET}&X-Goog-Signature=${SECRET}`;
    await logRequest(obs, 'download', s3);
    obs.log.warn(`download link expired: https://bucket.s3.amazonaws.com${s3}`);
    obs.trace('share', (span) => span.setAttribute('share.url', gcs));
    const [download, expired] = lines.map((l) => JSON.parse(l));
    const clean =
      '/invoices/o-123.pdf?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=[Redacted]' +
      '&X-Amz-Date=20261130T120000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host' +
      '&X-Amz-Security-Token=[Redacted]&X-Amz-Signature=[Redacted]';
    expect(download.req.url).toBe(clean);
    expect(expired.msg).toBe(`download link expired: https://bucket.s3.amazonaws.com${clean}`);
    expect(memory.spans().find((s) => s.name === 'share')?.attributes['share.url']).toBe(
      'https://storage.googleapis.com/b/o?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=[Redacted]&X-Goog-Signature=[Redacted]',
    );
  });

  it('but for CORS’s Access-Control-Allow-Credentials, whose value is only ever true, in a response’s headers and a span’s', async () => {
    const { obs, lines, memory } = startCaptured();
    const server = createServer((req, res) => {
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Set-Cookie', `sid=${SECRET}`);
      obs.log.info({ res, headers: res.getHeaders() }, 'answered');
      obs.log.info({ raw: ['Access-Control-Allow-Credentials', 'true', 'x-auth-token', SECRET] }, 'pairs');
      obs.log.info({ cors: { allowCredentials: 'true', allow_credentials: 'true' } }, 'config');
      obs.trace('GET', (span) =>
        span.setAttribute('http.response.header.access-control-allow-credentials', ['true']),
      );
      res.end('ok');
      void req;
    });
    await listen(server);
    await get((server.address() as AddressInfo).port, '/');
    const [answered, pairs, config] = lines.map((l) => JSON.parse(l));
    expect(lines.join('')).not.toContain(SECRET);
    expect(answered.res.headers['access-control-allow-credentials']).toBe('true');
    expect(answered.headers['access-control-allow-credentials']).toBe('true');
    expect(pairs.raw).toEqual(['Access-Control-Allow-Credentials', 'true', 'x-auth-token', '[Redacted]']);
    expect(config.cors).toEqual({ allowCredentials: 'true', allow_credentials: 'true' });
    expect(memory.spans()[0]?.attributes['http.response.header.access-control-allow-credentials']).toEqual([
      'true',
    ]);
  });

  it('in a span’s attributes sent to an OTLP intake, a cookie string’s too, and keeps LLM token counts', async () => {
    const collector: OtlpCollector = await startCollector();
    closing.push(() => collector.close());
    const { obs } = startWith(
      otlp({ url: collector.url, channel: FAST_CHANNEL, env: {}, protocol: 'http/json' }),
    );
    obs.trace('llm.call', (span) => {
      span.setAttributes({
        'http.request.header.x-auth-token': SECRET,
        'http.request.header.x-goog-api-key': SECRET,
        'auth.session_token': SECRET,
        'app.user_session_id': SECRET,
        'http.request.header.x_session_id': SECRET,
        'http.request.header.x-xsrf-token': SECRET,
        'app.csrf': SECRET,
        'session.id': 'front-end-session',
        'app.upstream_reply': `Set-Cookie: JSESSIONID=${SECRET}; Path=/; HttpOnly`,
        'gen_ai.usage.input_tokens': 812,
        'gen_ai.request.max_tokens': 1024,
      });
    });
    await obs.forceFlush();
    const body = JSON.stringify(collector.accepted('traces').map((r) => r.json));
    expect(body).toContain('llm.call');
    expect(body).not.toContain(SECRET);
    expect(body).toContain('"session.id","value":{"stringValue":"front-end-session"}');
    expect(body).toContain('Set-Cookie: JSESSIONID=[Redacted]; Path=/; HttpOnly');
    expect(body).toContain('"gen_ai.usage.input_tokens","value":{"intValue":812}');
    expect(body).toContain('"gen_ai.request.max_tokens","value":{"intValue":1024}');
  });
});

describe('secrets in span and event names', () => {
  it('are hidden as in attributes, in what an OTLP intake receives', async () => {
    const collector: OtlpCollector = await startCollector();
    closing.push(() => collector.close());
    const { obs } = startWith(
      otlp({ url: collector.url, channel: FAST_CHANNEL, env: {}, protocol: 'http/json' }),
    );
    obs.trace(`charge /v1/charges?token=${SECRET}`, (span) => {
      span.addEvent(`retry https://api.example/v1?api_key=${SECRET}`);
      span.addEvent(`connect postgres://app:${SECRET}@db/orders`);
    });
    obs.trace('GET /orders/:id', (span) => span.updateName(`GET /cart;jsessionid=${SECRET}`));
    trace.getTracer('lib').startSpan(`fetch https://${SECRET}@github.com/org/repo`).end();
    obs.trace('GET /orders/:id', (span) => span.addEvent('cache miss'));
    await obs.forceFlush();
    const spans = collector
      .accepted('traces')
      .flatMap((r) => (r.json as any).resourceSpans)
      .flatMap((rs: any) => rs.scopeSpans)
      .flatMap((ss: any) => ss.spans);
    expect(JSON.stringify(spans)).not.toContain(SECRET);
    const names = spans.map((s: any) => [s.name, ...(s.events ?? []).map((e: any) => e.name)]);
    expect(names).toEqual(
      expect.arrayContaining([
        [
          'charge /v1/charges?token=[Redacted]',
          'retry https://api.example/v1?api_key=[Redacted]',
          'connect postgres://[Redacted]:[Redacted]@db/orders',
        ],
        ['GET /cart;jsessionid=[Redacted]'],
        ['fetch https://[Redacted]@github.com/org/repo'],
        ['GET /orders/:id', 'cache miss'],
      ]),
    );
  });
});

/** Sends one request to a loopback server that logs it, with its req, as `msg`. */
async function logRequest(obs: Sightline, msg: string, path: string): Promise<void> {
  const server = createServer((req, res) => {
    obs.log.info({ req }, msg);
    res.end('ok');
  });
  await listen(server);
  await get((server.address() as AddressInfo).port, path);
}

function listen(server: Server): Promise<void> {
  closing.push(() => new Promise((resolve) => server.close(() => resolve())));
  return new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
}

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, headers }, (res: IncomingMessage) => {
      res.resume();
      res.on('end', resolve);
    })
      .on('error', reject)
      .end();
  });
}
