import { afterEach, describe, expect, it } from 'vitest';
import { elastic } from '../../../adapters/elastic/index.js';
import { API_KEY, FAST_CHANNEL, PASSWORD, SECRET_TOKEN, startWithElastic, stopSightline } from './helpers.js';
import { EsIntake } from './intake-server.js';

type Env = Record<string, string>;

let intake: EsIntake | undefined;
afterEach(async () => {
  await stopSightline();
  await intake?.close();
  intake = undefined;
});

const SENTINELS = [API_KEY, PASSWORD, SECRET_TOKEN, Buffer.from(`ingest:${PASSWORD}`).toString('base64')];

describe('elastic never leaks credentials', () => {
  it('keeps them out of diagnostics, log lines, bodies and URLs; only the Authorization header carries them', async () => {
    const stderr: string[] = [];
    const original = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => {
      stderr.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    let lines: string[] = [];
    try {
      intake = await EsIntake.start({ authorization: `ApiKey ${API_KEY}` });
      // Every failure path once: 5xx, a dropped connection, 413, whole-request 429, item 400/429, a full queue.
      intake.script(
        { status: 500 },
        { status: 0, drop: true },
        { status: 413 },
        { status: 429, headers: { 'retry-after': '0' } },
      );
      intake.setItemRule((op, attempt) =>
        op.doc.message === 'bad'
          ? { status: 400, type: 'mapper_parsing_exception', reason: 'failed to parse' }
          : op.doc.message === 'busy' && attempt === 1
            ? { status: 429, type: 'es_rejected_execution_exception', reason: 'busy' }
            : undefined,
      );
      const started = startWithElastic(
        intake,
        {
          traces: { url: intake.url, secretToken: SECRET_TOKEN },
          channel: { ...FAST_CHANNEL, queueSize: 4 },
        },
        { diagnostics: 'debug' },
      );
      lines = started.lines;
      const { obs } = started;
      obs.metrics.counter('orders').add(1);
      obs.log.info({ apiKeyHint: 'none' }, 'bad');
      obs.log.info('busy');
      for (let i = 0; i < 10; i++) obs.log.info({ i }, 'line');
      obs.trace('work', () => obs.log.warn('inside a span'));
      await obs.forceFlush();
      await obs.shutdown();
    } finally {
      process.stderr.write = original;
    }
    const diagnostics = stderr.join('');
    expect(diagnostics).toMatch(/elastic (metrics|logs)/);
    expect(diagnostics).toContain('queue full');
    expect(diagnostics).toContain('mapper_parsing_exception');
    for (const s of SENTINELS) expect(diagnostics).not.toContain(s);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) for (const s of SENTINELS) expect(line).not.toContain(s);

    expect(intake!.requests.some((r) => r.kind === 'traces')).toBe(true);
    for (const r of intake!.requests) {
      for (const s of SENTINELS) {
        expect(r.path + r.query.toString()).not.toContain(s);
        expect(r.body.toString('latin1')).not.toContain(s);
        const carriers = Object.entries(r.headers)
          .filter(([, v]) => String(v).includes(s))
          .map(([k]) => k);
        expect(carriers.length === 0 || (carriers.length === 1 && carriers[0] === 'authorization')).toBe(
          true,
        );
      }
    }
  });

  it('keeps them out of configuration errors, even when pasted into the wrong option', () => {
    const attempts: (() => unknown)[] = [
      () => elastic({ node: 'https://x', apiKey: `${API_KEY} `.repeat(2), env: {} }),
      () => elastic({ node: API_KEY, apiKey: API_KEY, env: {} }),
      () => elastic({ node: 'https://x', apiKey: API_KEY, dataset: API_KEY, env: {} }),
      () =>
        elastic({ node: 'https://x', username: 'ingest', password: PASSWORD, namespace: PASSWORD, env: {} }),
      () => elastic({ node: 'https://x', username: 'a:b', password: PASSWORD, env: {} }),
      () => elastic({ node: 'https://x', username: `ingest:${PASSWORD}`, env: {} }),
      () =>
        elastic({
          node: 'https://x',
          apiKey: 'k',
          traces: { url: SECRET_TOKEN, secretToken: SECRET_TOKEN },
          env: {},
        }),
      () =>
        elastic({ node: 'https://x', apiKey: 'k', traces: { secretToken: `${SECRET_TOKEN} x` }, env: {} }),
      () => elastic({ env: { ELASTICSEARCH_URL: `http://elastic:${PASSWORD}@es.remote:9200` } }),
      () => elastic({ node: 'https://x', env: { ELASTIC_API_KEY: `${API_KEY} with space` } }),
    ];
    for (const attempt of attempts) {
      let error: unknown;
      try {
        attempt();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(Error);
      const text = `${(error as Error).message} ${(error as { option?: string }).option} ${String((error as Error).stack)}`;
      for (const s of SENTINELS) expect(text).not.toContain(s);
      expect((error as { code?: string }).code).toMatch(/^SL_ERR_CONFIG_/);
    }
  });
});

/**
 * The Authorization header of each request a log line sent, against an intake taking
 * `authorization`; `userInfo` goes in the node URL.
 */
async function authorizationsSent(authorization: string, env: Env, userInfo?: string): Promise<unknown[]> {
  intake = await EsIntake.start({ authorization });
  const node = userInfo === undefined ? intake.url : intake.url.replace('//', `//${userInfo}@`);
  const { obs } = startWithElastic(intake, { node, apiKey: undefined, env });
  obs.log.info('placed');
  await obs.forceFlush({ timeoutMs: 2000 });
  expect(intake.requests.length).toBeGreaterThan(0);
  return intake.requests.map((r) => r.headers.authorization);
}

const INGEST_BASIC = `Basic ${Buffer.from(`ingest:${PASSWORD}`).toString('base64')}`;

describe('ELASTICSEARCH_PASSWORD from a Secret made with kubectl create secret --from-file', () => {
  it.each(['\n', '\r\n'])(
    'is sent without the file line break %j, accepted instead of a 401 per request',
    async (eol) => {
      const env = { ELASTICSEARCH_USERNAME: 'ingest', ELASTICSEARCH_PASSWORD: `${PASSWORD}${eol}` };
      const sent = await authorizationsSent(INGEST_BASIC, env);
      expect(sent).toEqual(sent.map(() => INGEST_BASIC));
    },
  );

  it('keeps the blanks of a password around it: they may be its own', async () => {
    const authorization = `Basic ${Buffer.from(`ingest: ${PASSWORD} `).toString('base64')}`;
    intake = await EsIntake.start({ authorization });
    const env = { ELASTICSEARCH_USERNAME: 'ingest', ELASTICSEARCH_PASSWORD: ` ${PASSWORD} ` };
    const { obs } = startWithElastic(intake, { apiKey: undefined, env });
    obs.log.info('placed');
    await obs.forceFlush({ timeoutMs: 2000 });
    expect(intake.requests.map((r) => r.headers.authorization)).toContain(authorization);
  });
});

describe('ELASTICSEARCH_PASSWORD holding only blanks', () => {
  it('is unset, as other variables left empty are, so the user name and password in the node URL still apply', async () => {
    const userInfo = `ingest:${encodeURIComponent(PASSWORD)}`;
    const sent = await authorizationsSent(INGEST_BASIC, { ELASTICSEARCH_PASSWORD: '  \n' }, userInfo);
    expect(sent).toEqual(sent.map(() => INGEST_BASIC));
  });

  it('beside ELASTICSEARCH_USERNAME, fails init() as a missing password, instead of sending the blanks', async () => {
    intake = await EsIntake.start({ authorization: 'unused' });
    const env = { ELASTICSEARCH_USERNAME: 'ingest', ELASTICSEARCH_PASSWORD: '   ' };
    expect(() => startWithElastic(intake as EsIntake, { apiKey: undefined, env })).toThrowError(
      expect.objectContaining({
        code: 'SL_ERR_CONFIG_MISSING_CREDENTIALS',
        option: 'ELASTICSEARCH_PASSWORD',
      }),
    );
  });
});
