import { afterEach, describe, expect, it } from 'vitest';
import { AUTH, FAST_CHANNEL, startWithElastic, stopSightline } from './helpers.js';
import { EsIntake, identityHolds } from './intake-server.js';

let intake: EsIntake | undefined;
let restoreStderr: (() => void) | undefined;
afterEach(async () => {
  await stopSightline();
  restoreStderr?.();
  restoreStderr = undefined;
  await intake?.close();
  intake = undefined;
});

/** Captures sightline's diagnostics (written to stderr) for the rest of the test. */
function captureStderr(): string[] {
  const out: string[] = [];
  const original = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  restoreStderr = () => {
    process.stderr.write = original;
  };
  return out;
}

const LOGS = 'logs-checkout-production';
const messages = (docs: Record<string, unknown>[]) => docs.map((d) => d.message as string).sort();

describe('elastic _bulk answers', () => {
  it('retries only the items refused with 429 and counts 400/409 refusals as rejected, reported once', async () => {
    const stderr = captureStderr();
    intake = await EsIntake.start({ authorization: AUTH });
    intake.setItemRule((op, attempt) => {
      const message = String(op.doc.message);
      if (message.startsWith('busy') && attempt === 1)
        return { status: 429, type: 'es_rejected_execution_exception', reason: 'rejected execution' };
      if (message.startsWith('bad'))
        return {
          status: 400,
          type: 'document_parsing_exception',
          reason:
            "[1:40] failed to parse field [amount] of type [long] in document with id 'x'. Preview of field's value: 'PRIVATE-VALUE'",
        };
      if (message === 'dup')
        return { status: 409, type: 'version_conflict_engine_exception', reason: 'document already exists' };
      return undefined;
    });
    const { obs } = startWithElastic(intake, {}, { diagnostics: 'warn' });
    for (const m of ['ok-1', 'busy-1', 'bad-1', 'ok-2', 'busy-2', 'dup', 'bad-2']) obs.log.info(m);
    await obs.forceFlush();

    expect(messages(intake.docs(LOGS))).toEqual(['busy-1', 'busy-2', 'ok-1', 'ok-2']);
    const logRequests = intake.bulk().filter((r) => r.ops[0]?.index === LOGS);
    expect(logRequests.map((r) => r.itemStatuses)).toEqual([
      [201, 429, 400, 201, 429, 409, 400],
      [201, 201],
    ]);
    // The retry carries the 429 items alone, in their order.
    expect(logRequests[1]!.ops.map((o) => o.doc.message)).toEqual(['busy-1', 'busy-2']);
    const s = obs.stats().elastic!.logs!;
    expect(s).toMatchObject({ produced: 7, delivered: 4, retried: 2, queued: 0, dropped: { rejected: 3 } });

    const diagnostics = stderr.join('');
    expect(diagnostics).toContain('document_parsing_exception');
    expect(diagnostics).toContain('status 400');
    expect(diagnostics).toContain('version_conflict_engine_exception');
    expect(diagnostics.split('refused documents with status 400').length - 1, diagnostics).toBe(1);
    expect(diagnostics).not.toContain('PRIVATE-VALUE');
  });

  it('counts each line refused past the total fields limit as rejected, sends it once and says so once', async () => {
    const stderr = captureStderr();
    intake = await EsIntake.start({ authorization: AUTH });
    const { obs } = startWithElastic(intake, {}, { diagnostics: 'warn' });
    // A logged object whose keys come from the request: each line adds a field to the mapping.
    for (let i = 0; i < 1200; i++) obs.log.info({ [`sku_${i}`]: i }, `stock-${i}`);
    obs.log.info('no new field');
    await obs.forceFlush({ timeoutMs: 10_000 });

    const logRequests = intake.bulk().filter((r) => r.ops[0]?.index === LOGS);
    const statuses = logRequests.flatMap((r) => r.itemStatuses);
    const refused = statuses.filter((st) => st === 400).length;
    expect(refused).toBeGreaterThan(100);
    // Every line went out once: a refusal is not retried.
    expect(statuses).toHaveLength(1201);
    expect(intake.docs(LOGS)).toHaveLength(1201 - refused);
    expect(intake.docs(LOGS).at(-1)!.message).toBe('no new field');
    const s = obs.stats().elastic!.logs!;
    expect(s).toMatchObject({ produced: 1201, delivered: 1201 - refused, retried: 0, queued: 0 });
    expect(s.dropped).toEqual({ rejected: refused });

    const said = stderr
      .join('')
      .split('\n')
      .filter((l) => l.includes('refused documents'));
    expect(said).toEqual([expect.stringContaining('Limit of total fields [1000] has been exceeded')]);
  });

  it('gives up on items that keep getting 429 once the retry budget is spent', async () => {
    intake = await EsIntake.start({ authorization: AUTH });
    intake.setItemRule((op) =>
      op.doc.message === 'always-busy'
        ? { status: 429, type: 'es_rejected_execution_exception', reason: 'rejected execution' }
        : undefined,
    );
    const { obs } = startWithElastic(intake, {
      channel: { ...FAST_CHANNEL, retry: { initialDelayMs: 5, maxDelayMs: 20, maxElapsedMs: 200 } },
    });
    obs.log.info('always-busy');
    obs.log.info('fine');
    await obs.forceFlush({ timeoutMs: 3000 });
    const s = obs.stats().elastic!.logs!;
    expect(identityHolds(s)).toBe(true);
    expect(s).toMatchObject({ produced: 2, delivered: 1, queued: 0, dropped: { retries_exhausted: 1 } });
    expect(s.retried).toBeGreaterThan(0);
    expect(messages(intake.docs(LOGS))).toEqual(['fine']);
  });

  it('drops the batch on 401 without retrying, and says so', async () => {
    const stderr = captureStderr();
    intake = await EsIntake.start({ authorization: 'ApiKey another-key' });
    const { obs } = startWithElastic(intake, {}, { diagnostics: 'warn' });
    obs.log.info('one');
    obs.log.info('two');
    await obs.forceFlush();
    const logRequests = intake.bulk().filter((r) => r.status === 401);
    expect(logRequests.length).toBeGreaterThan(0);
    expect(obs.stats().elastic!.logs).toMatchObject({
      produced: 2,
      delivered: 0,
      retried: 0,
      dropped: { rejected: 2 },
    });
    expect(stderr.join('')).toMatch(/elastic logs: HTTP 401 from http:\/\/127\.0\.0\.1:\d+\/_bulk/);
  });

  it('splits a batch answered 413 and delivers both halves', async () => {
    intake = await EsIntake.start({ authorization: AUTH, maxContentLength: 2500 });
    const { obs } = startWithElastic(intake);
    for (let i = 0; i < 8; i++) obs.log.info({ i, pad: 'x'.repeat(100) }, `line-${i}`);
    await obs.forceFlush();
    expect(intake.bulk().some((r) => r.status === 413)).toBe(true);
    expect(intake.docs(LOGS)).toHaveLength(8);
    for (const r of intake.bulk().filter((b) => b.status === 200))
      expect(r.body.byteLength).toBeLessThanOrEqual(2500);
    const s = obs.stats().elastic!.logs!;
    expect(s).toMatchObject({ produced: 8, delivered: 8, queued: 0 });
    expect(s?.dropped).toEqual({});
    expect(s.retried).toBeGreaterThan(0);
  });

  it('waits for Retry-After on a whole-request 429, then delivers', async () => {
    intake = await EsIntake.start({ authorization: AUTH });
    intake.script({
      stream: LOGS,
      status: 429,
      headers: { 'retry-after': '1' },
      body: { error: { type: 'es_rejected_execution_exception', reason: 'rejected' }, status: 429 },
    });
    // The flush waits up to shutdownTimeoutMs: long enough for the 1 s wait.
    const { obs } = startWithElastic(intake, { channel: { ...FAST_CHANNEL, shutdownTimeoutMs: 4000 } });
    obs.log.info('patience');
    await obs.forceFlush({ timeoutMs: 5000 });
    const logRequests = intake.bulk().filter((r) => r.ops[0]?.index === LOGS);
    expect(
      logRequests.map((r) => r.status),
      'log requests',
    ).toEqual([429, 200]);
    // Retry-After is 1 s: the resend never comes earlier (a lower bound only, never timing-fragile).
    expect(logRequests[1]!.at - logRequests[0]!.at).toBeGreaterThanOrEqual(990);
    expect(messages(intake.docs(LOGS))).toEqual(['patience']);
    expect(obs.stats().elastic!.logs).toMatchObject({ delivered: 1, retried: 1 });
  });

  it('retries 500, 503 and a dropped connection', async () => {
    intake = await EsIntake.start({ authorization: AUTH });
    const { obs } = startWithElastic(intake);
    intake.script(
      { stream: LOGS, status: 500 },
      { stream: LOGS, status: 503 },
      { stream: LOGS, status: 0, drop: true },
    );
    obs.log.info('persistent');
    await obs.forceFlush({ timeoutMs: 5000 });
    const logRequests = intake.bulk().filter((r) => r.ops[0]?.index === LOGS);
    expect(logRequests.map((r) => r.status)).toEqual([500, 503, -1, 200]);
    expect(messages(intake.docs(LOGS))).toEqual(['persistent']);
    expect(obs.stats().elastic!.logs).toMatchObject({ delivered: 1, retried: 3 });
    expect(obs.stats().elastic!.logs?.dropped).toEqual({});
  });
});
