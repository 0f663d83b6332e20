import { afterEach, describe, expect, it } from 'vitest';
import { getSightline } from '../../../src/index.js';
import { startCaptured } from '../../helpers/capture.js';
import { growth } from '../../helpers/growth.js';

afterEach(async () => {
  await getSightline()?.shutdown();
});

const SECRET = 'sentinel-secret-value-123';

/** Logs `url` under a `url` key, under another key, in a message, and sets it on a span. */
async function record(url: string) {
  const { obs, lines, memory } = startCaptured({ outbound: false });
  obs.log.info({ url, upstream: { href: url } }, `GET ${url} failed`);
  obs.trace('op', (span) => span.setAttribute('http.url', url));
  const [line] = lines.map((l) => JSON.parse(l));
  const [span] = memory.spans();
  await obs.shutdown();
  return {
    all: lines.join('') + JSON.stringify(span?.attributes),
    written: [line.url, line.upstream.href, line.msg.slice(4, -7), span?.attributes['http.url']],
  };
}

/** Expects each URL, recorded, to be written as its clean form everywhere, its secret nowhere. */
async function expectWrittenAs(cases: string[][]) {
  for (const [url, clean] of cases) {
    const { all, written } = await record(url as string);
    expect(all).not.toContain(SECRET);
    expect(written).toEqual([clean, clean, clean, clean]);
  }
}

/** Expects each text, as a message, a field and a span attribute, to be written as its clean form. */
function expectTextsWrittenAs(texts: string[][]) {
  const { obs, lines, memory } = startCaptured({ outbound: false });
  for (const [text] of texts) {
    obs.log.info({ detail: text }, text as string);
    obs.trace('op', (span) => span.setAttribute('payload', text as string));
  }
  const written = lines.map((l) => JSON.parse(l));
  expect(written.map((l) => l.msg)).toEqual(texts.map(([, clean]) => clean));
  expect(written.map((l) => l.detail)).toEqual(texts.map(([, clean]) => clean));
  expect(memory.spans().map((s) => s.attributes.payload)).toEqual(texts.map(([, clean]) => clean));
  expect(lines.join('')).not.toContain(SECRET);
}

describe('redaction of the secrets a URL holds outside its own query', () => {
  it('hides the secrets of a URL given as a query value or in the path, written as it is or percent-encoded', async () => {
    const cases = [
      [
        `https://id.example/login?next=https://app.example/cb?access_token=${SECRET}&state=s1`,
        'https://id.example/login?next=https://app.example/cb?access_token=[Redacted]&state=s1',
      ],
      [
        `https://id.example/authorize?redirect_uri=https%3A%2F%2Fapp.example%2Fcb%3Ftoken%3D${SECRET}&state=s1`,
        'https://id.example/authorize?redirect_uri=https%3A%2F%2Fapp.example%2Fcb%3Ftoken%3D[Redacted]&state=s1',
      ],
      [
        `https://id.example/a?u=https%3A%2F%2Fb%2Fc%3Fx%3D1%26api_key%3D${SECRET}%26y%3D2`,
        'https://id.example/a?u=https%3A%2F%2Fb%2Fc%3Fx%3D1%26api_key%3D[Redacted]',
      ],
      [
        `https://id.example/a?u=https%253A%252F%252Fb%252Fc%253Ftoken%253D${SECRET}&v=1`,
        'https://id.example/a?u=https%253A%252F%252Fb%252Fc%253Ftoken%253D[Redacted]&v=1',
      ],
      [
        `https://go.example/r/https%3A%2F%2Fb%2Fc%3Fapi_key%3D${SECRET}`,
        'https://go.example/r/https%3A%2F%2Fb%2Fc%3Fapi_key%3D[Redacted]',
      ],
      [`https://api.example/v1/items&api_key=${SECRET}`, 'https://api.example/v1/items&api_key=[Redacted]'],
    ];
    await expectWrittenAs(cases);
  });

  it('hides the secrets of a URL’s fragment, where the OAuth implicit flow puts the token', async () => {
    const cases = [
      [
        `https://app.example/cb#access_token=${SECRET}&token_type=bearer&expires_in=3600`,
        'https://app.example/cb#access_token=[Redacted]&token_type=bearer&expires_in=3600',
      ],
      [
        `https://app.example/cb?lang=en#state=s1&id_token=x&access_token=${SECRET}`,
        'https://app.example/cb?lang=en#state=s1&id_token=[Redacted]&access_token=[Redacted]',
      ],
      [
        `https://app.example/cb?token=${SECRET}#access_token=${SECRET}`,
        'https://app.example/cb?token=[Redacted]',
      ],
      [`https://app.example/#/cb?x=1&token=${SECRET}`, 'https://app.example/#/cb?x=1&token=[Redacted]'],
    ];
    await expectWrittenAs(cases);
  });

  it('hides a password written with a /, ? or # of its own, unencoded, as connection strings are', async () => {
    const cases = [
      [
        `postgres://app:${SECRET}/x@db.internal:5432/orders`,
        'postgres://[Redacted]:[Redacted]@db.internal:5432/orders',
      ],
      [`redis://:${SECRET}?x@cache:6379`, 'redis://[Redacted]:[Redacted]@cache:6379'],
      [`https://deploy:${SECRET}#1@api.example/v1`, 'https://[Redacted]:[Redacted]@api.example/v1'],
      [`amqp://app:ab/${SECRET}@mq/vhost?x=a@b`, 'amqp://[Redacted]:[Redacted]@b'],
    ];
    await expectWrittenAs(cases);
    // A port, or an @ in the path of a URL without credentials, is kept.
    for (const url of [
      'https://medium.example/@ada',
      'https://api.example:8443/users/@ada',
      'http://[::1]:80/@x',
    ]) {
      expect((await record(url)).written).toEqual([url, url, url, url]);
    }
  });

  it('hides the user name and password of a URL given inside another, not only the outer one’s', async () => {
    const cases = [
      [
        `https://id.example/login?next=https://ada:${SECRET}@app.example/cb&state=s1`,
        'https://id.example/login?next=https://[Redacted]:[Redacted]@app.example/cb&state=s1',
      ],
      [
        `https://go.example/r/https://${SECRET}@github.com/org/repo`,
        'https://go.example/r/https://[Redacted]@github.com/org/repo',
      ],
      [
        `https://u:${SECRET}@a.example/?next=https://v:${SECRET}@b.example&x=1`,
        'https://[Redacted]:[Redacted]@a.example/?next=https://[Redacted]:[Redacted]@b.example&x=1',
      ],
      // A user name may hold a `&` of its own.
      [
        `https://go.example/r/https://a&b:${SECRET}@b.example/`,
        'https://go.example/r/https://[Redacted]:[Redacted]@b.example/',
      ],
    ];
    await expectWrittenAs(cases);
    // A later parameter's @ is no credential of a URL given before it.
    const url = 'https://a.example/x?next=https://b.example&contact=ada@c.example';
    expect((await record(url)).written).toEqual([url, url, url, url]);
  });

  it('hides the user name and password of a URL given inside another percent-encoded, as of one given as it is', async () => {
    await expectWrittenAs([
      [
        `https://id.example/login?next=https%3A%2F%2Fada%3A${SECRET}%40app.example%2Fcb&state=s1`,
        'https://id.example/login?next=https%3A%2F%2F[Redacted]%3A[Redacted]%40app.example%2Fcb&state=s1',
      ],
      [
        `https://go.example/r/https%3a%2f%2f${SECRET}%40github.com%2forg%2frepo`,
        'https://go.example/r/https%3a%2f%2f[Redacted]%40github.com%2forg%2frepo',
      ],
      // Encoded twice, as a URL given to one that is itself given encoded.
      [
        `https://a.example/?u=https%253A%252F%252Fada%253A${SECRET}%2540b.example%252F`,
        'https://a.example/?u=https%253A%252F%252F[Redacted]%253A[Redacted]%2540b.example%252F',
      ],
    ]);
    const { obs, logs, lines } = startCaptured({ outbound: false });
    obs.log.info(`GET /login?next=https%3A%2F%2Fuser%3A${SECRET}%40host -> 302`);
    await obs.shutdown();
    expect(lines.join('')).not.toContain(SECRET);
    expect(logs()[0]?.msg).toBe('GET /login?next=https%3A%2F%2F[Redacted]%3A[Redacted]%40host -> 302');
    // A later parameter's @ is no credential of a URL given before it.
    for (const url of [
      'https://a.example/x?next=https%3A%2F%2Fb.example&contact=ada%40c.example',
      'https://a.example/x?next=https%3A%2F%2Fb.example%2Fcb%3Fcontact%3Dada%2540c.example',
    ]) {
      expect((await record(url)).written).toEqual([url, url, url, url]);
    }
  });

  it('hides the user name and password of a URL given percent-encoded in prose, with no query or = around it', () => {
    expectTextsWrittenAs([
      [
        `fetch failed for https%3A%2F%2Fada%3A${SECRET}%40host%2Fx`,
        'fetch failed for https%3A%2F%2F[Redacted]%3A[Redacted]%40host%2Fx',
      ],
      [
        `see /r/https%3A%2F%2F${SECRET}%40github.com%2Forg`,
        'see /r/https%3A%2F%2F[Redacted]%40github.com%2Forg',
      ],
      [
        `retry: https%3A%2F%2Fada%3A${SECRET}%40host, giving up`,
        'retry: https%3A%2F%2F[Redacted]%3A[Redacted]%40host, giving up',
      ],
      ['saved 100%, see https%3A%2F%2Fb.example%2Fx', 'saved 100%, see https%3A%2F%2Fb.example%2Fx'],
    ]);
  });

  it('keeps a URL given as a query value with no credentials, a : and a / in later parameters, an @ after them', async () => {
    // A later parameter's `:` (a time, a port of the URL given) read as a password's, written with
    // a `/` of its own: all up to the last @ was hidden, the URL given and the parameters after it.
    for (const url of [
      'https://a.example/invite?next=https://b.example&t=12:00&return=/home&contact=ada@c.example',
      'https://a.example/?next=https://b.example:8443&return=/home&contact=ada@c.example',
    ]) {
      expect((await record(url)).written).toEqual([url, url, url, url]);
    }
  });

  it('hides the password of a URL given in a query set on a span without its ?', async () => {
    const { obs, memory } = startCaptured({ outbound: false });
    obs.trace('op', (span) =>
      span.setAttribute('url.query', `next=https://ada:${SECRET}@app.example/cb&x=1`),
    );
    const [span] = memory.spans();
    expect(span?.attributes['url.query']).toBe('next=https://[Redacted]:[Redacted]@app.example/cb&x=1');
  });

  it('hides a secret written with a quote or bracket of its own to the next space, in text', async () => {
    await expectWrittenAs([
      [`redis://:pa'${SECRET}@cache:6379`, 'redis://[Redacted]:[Redacted]@cache:6379'],
      [`postgres://app:"${SECRET}@db/orders`, 'postgres://[Redacted]:[Redacted]@db/orders'],
      [`https://api.example/v1?token=ab"${SECRET}`, 'https://api.example/v1?token=[Redacted]'],
      [`https://api.example/v1?api_key=<${SECRET}>`, 'https://api.example/v1?api_key=[Redacted]'],
    ]);
    // Where a URL quoted in text ends is not known once a secret ran to its end: the rest of the
    // word goes with it, while a URL with nothing to hide keeps its quotes.
    const { obs, lines } = startCaptured({ outbound: false });
    obs.log.warn(`fetching "https://api.example/v1?token=${SECRET}"x, then "https://api.example/v2?page=2".`);
    expect(JSON.parse(lines[0]!).msg).toBe(
      'fetching "https://api.example/v1?token=[Redacted] then "https://api.example/v2?page=2".',
    );
  });

  it('ends a URL at the quote it was opened with, followed by what follows a quoted word, in JSON and HTML', async () => {
    const texts = [
      [
        `{"callback":"https://shop.example/cb?token=${SECRET}","orderId":42,"status":"paid"}`,
        '{"callback":"https://shop.example/cb?token=[Redacted]","orderId":42,"status":"paid"}',
      ],
      [
        '{"base":"https://api.example.com","email":"ada@mail.example","orderId":42}',
        '{"base":"https://api.example.com","email":"ada@mail.example","orderId":42}',
      ],
      [
        `["https://api.example.com","https://b.example/p?api_key=${SECRET}","@me"]`,
        '["https://api.example.com","https://b.example/p?api_key=[Redacted]","@me"]',
      ],
      [
        `see <a href="https://a.example/x?token=${SECRET}">the receipt</a> now`,
        'see <a href="https://a.example/x?token=[Redacted]">the receipt</a> now',
      ],
      [
        `fetching 'https://api.example/v1?token=${SECRET}', then 'https://api.example/v2'.`,
        "fetching 'https://api.example/v1?token=[Redacted]', then 'https://api.example/v2'.",
      ],
      // A quote followed by more of the word, or by an @ before it opens again, is a secret's own.
      [`cache "redis://:pa"${SECRET}@cache" down`, 'cache "redis://[Redacted]:[Redacted]@cache" down'],
      [`cache 'redis://:pa'.${SECRET}@cache' down`, "cache 'redis://[Redacted]:[Redacted]@cache' down"],
      [`cache <redis://:pa>,${SECRET}@cache> down`, 'cache <redis://[Redacted]:[Redacted]@cache> down'],
    ];
    expectTextsWrittenAs(texts);
  });

  it('ends a cookie’s value at the bracket opened before it, with the punctuation after, in prose', async () => {
    expectTextsWrittenAs([
      [
        `rejected (Cookie: JSESSIONID=${SECRET}), retrying`,
        'rejected (Cookie: JSESSIONID=[Redacted]), retrying',
      ],
      [
        `rejected (cookie: theme=dark; sid=${SECRET}), retrying`,
        'rejected (cookie: theme=dark; sid=[Redacted]), retrying',
      ],
      [`[Set-Cookie: sid=${SECRET}] sent`, '[Set-Cookie: sid=[Redacted]] sent'],
    ]);
  });

  it('ends a secret at the bracket opened before it, with the punctuation after, in prose', async () => {
    const texts = [
      [
        `retry failed (GET /x?password=${SECRET}), giving up`,
        'retry failed (GET /x?password=[Redacted]), giving up',
      ],
      [`[/v1/orders?api_key=${SECRET}] more`, '[/v1/orders?api_key=[Redacted]] more'],
      [
        `callback (https://a.example/cb?token=${SECRET}) refused.`,
        'callback (https://a.example/cb?token=[Redacted]) refused.',
      ],
      [`see (/cart;jsessionid=${SECRET}).`, 'see (/cart;jsessionid=[Redacted]).'],
      [
        `(see https://wiki.example/Foo_(bar)?token=${SECRET})`,
        '(see https://wiki.example/Foo_(bar)?token=[Redacted])',
      ],
      // With no bracket opened before it, a closing one may be the secret's own, and goes with it.
      [`GET /x?token=${SECRET}) -> 401`, 'GET /x?token=[Redacted] -> 401'],
    ];
    expectTextsWrittenAs(texts);
  });

  it('hides a closing bracket with the secret when the bracket opened before it was closed already', async () => {
    // The secret's own `)`, and the punctuation after it, were written in the clear: a `(` anywhere
    // before the value was taken for the one it closed.
    const texts = [
      [
        `login(ada) failed: GET /x?token=${SECRET}).! -> 401`,
        'login(ada) failed: GET /x?token=[Redacted] -> 401',
      ],
      [`[retry 2] Cookie: sid=${SECRET}] from the edge`, '[retry 2] Cookie: sid=[Redacted] from the edge'],
      [
        `(retry) https://a.example/cb?token=${SECRET}) refused`,
        '(retry) https://a.example/cb?token=[Redacted] refused',
      ],
      // Opened twice, and closed once, by the secret's: the other closes the first.
      [`(see (GET /x?token=${SECRET})) now`, '(see (GET /x?token=[Redacted])) now'],
      // Opened once, and closed twice: the one before it is the secret's own.
      [`(see GET /x?token=${SECRET})) now`, '(see GET /x?token=[Redacted]) now'],
    ];
    expectTextsWrittenAs(texts);
  });
});

describe('URLs run on past a quote in a word without a space', () => {
  it('hides the password of each, not only of the first', async () => {
    const { obs, lines, memory } = startCaptured({ outbound: false });
    const text = `{"primary":"redis://:pa'${SECRET}@cache-a:6379","replica":"redis://:pa'${SECRET}@cache-b:6379"}`;
    obs.log.info({ detail: text }, text);
    obs.trace('op', (span) => span.setAttribute('payload', text));
    const clean =
      '{"primary":"redis://[Redacted]:[Redacted]@cache-a:6379","replica":"redis://[Redacted]:[Redacted]@cache-b:6379"}';
    const [line] = lines.map((l) => JSON.parse(l));
    expect([line.msg, line.detail, memory.spans()[0]?.attributes.payload]).toEqual([clean, clean, clean]);
  });

  it('reads them in time linear in the text', async () => {
    const { obs, lines } = startCaptured({ outbound: false });
    // 560 KB: each URL ran on to the end of the text and was read to it, the event loop held for
    // seconds.
    const text = `${'"https://a.example"x'.repeat(28_000)}?`;
    const started = performance.now();
    obs.log.info(text);
    const elapsed = performance.now() - started;
    expect(JSON.parse(lines[0]!).msg).toBe(text);
    expect(elapsed).toBeLessThan(500);
  });
});

describe('cost of reading a long URL', () => {
  it('reads a URL of many parameters without a value, something encoded in it, in time linear in its length', async () => {
    const { obs, lines } = startCaptured({ outbound: false });
    // 256 KB: the look for an encoded `=` from each of its 128,000 parameters to the end took
    // seconds, the event loop held all along.
    const url = `https://api.example/v1?q=%20${'&a'.repeat(128_000)}&token=${SECRET}`;
    const started = performance.now();
    obs.log.info({ url }, `GET ${url} failed`);
    const elapsed = performance.now() - started;
    expect(lines.join('')).not.toContain(SECRET);
    expect(elapsed).toBeLessThan(500);
  });

  it('reads a URL holding many URLs without credentials, an @ after them, in time linear in its length', async () => {
    const { obs, lines } = startCaptured({ outbound: false });
    // Each URL's authority looked for its @ back to the start of the text: 64 KB took 16 times
    // less than 256 KB, not 4.
    const urlOf = (kb: number) =>
      `https://api.example/v1?next=${'a://b'.repeat(kb * 200)}/@x&token=${SECRET}`;
    const log = (url: string) => obs.log.info({ url }, `GET ${url} failed`);
    expect(growth(log, urlOf(16), urlOf(256))).toBeLessThan(64);
    expect(lines.join('')).not.toContain(SECRET);
  });

  it('reads a long word of letters in text holding a `://` in time linear in its length', () => {
    const { obs, lines } = startCaptured({ outbound: false });
    // A URL's scheme was looked for from each letter of the word to its end: a message object
    // holding a `://` key and 200 KB of letters held the event loop for some 20 s a line, and 32 KB
    // took 16 times what 8 KB took, not 4.
    const textOf = (kb: number) => `retry ://cache ${'x'.repeat(kb * 1024)} https://ada:${SECRET}@db`;
    expect(growth((text) => obs.log.info(text), textOf(1), textOf(16))).toBeLessThan(64);
    expect(lines.join('')).not.toContain(SECRET);
  });
});
