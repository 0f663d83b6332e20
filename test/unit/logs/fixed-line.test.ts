import { ROOT_CONTEXT, type SpanContext, trace } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { datadogLogFormat } from '../../../adapters/datadog/log-format.js';
import { elasticLogFormat } from '../../../adapters/elastic/log-format.js';
import { createDiag } from '../../../src/diag/diag.js';
import type { LogFormat } from '../../../src/export/types.js';
import { DropCounter } from '../../../src/internal/drops.js';
import { type FixedLineLevel, fixedLineWriter } from '../../../src/logs/fixed-line.js';
import { mergeLogKeys } from '../../../src/logs/format.js';
import { createLogger } from '../../../src/logs/logger.js';

const KEYS = ['method', 'route', 'path', 'status', 'duration_ms', 'error_type'] as const;
const SPAN: SpanContext = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  traceFlags: 1,
};

interface Setup {
  formats?: LogFormat[];
  level?: 'info' | 'warn';
  redactKeys?: string[];
  redactPaths?: string[];
}

/** A logger built as `init()` builds it, writing into `lines`, in the context of `sc`. */
function logger(setup: Setup, sc: SpanContext) {
  const lines: string[] = [];
  const formats = setup.formats ?? [];
  const ctx = trace.setSpan(ROOT_CONTEXT, trace.wrapSpanContext(sc));
  const log = createLogger({
    level: setup.level ?? 'info',
    keys: mergeLogKeys(formats),
    formats,
    base: { 'service.name': 'checkout', 'deployment.environment.name': 'test' },
    redactKeys: setup.redactKeys ?? [],
    redactPaths: setup.redactPaths ?? [],
    drops: new DropCounter(createDiag({ level: 'none' })),
    destination: { write: (line: string) => void lines.push(line) },
    activeContext: () => ctx,
  });
  return { log, lines };
}

type Values = [string, string, string, number | undefined, number, string | undefined];

/** The line pino writes and the line the fixed writer writes, for the same fields. */
function both(setup: Setup, level: FixedLineLevel, values: Values, message: string, sc = SPAN) {
  const viaPino = logger(setup, sc);
  const fields: Record<string, unknown> = {};
  KEYS.forEach((key, i) => {
    if (values[i] !== undefined) fields[key] = values[i];
  });
  viaPino.log[level](fields, message);
  const fixed = logger(setup, sc);
  const writer = fixedLineWriter(fixed.log, KEYS);
  expect(writer).toBeDefined();
  expect(writer!.write(level, sc, values, message)).toBe(true);
  return { pino: viaPino.lines, fixed: fixed.lines };
}

const ok: Values = ['GET', '/users/:id', '/users/42', 200, 1.234, undefined];

describe('fixed-shape log lines', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-05-01T12:00:00.123Z'));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('match pino byte for byte with the default keys', () => {
    const { pino, fixed } = both({}, 'info', ok, 'GET /users/:id 200');
    expect(pino).toHaveLength(1);
    expect(JSON.parse(pino[0]!)).toMatchObject({
      trace_id: SPAN.traceId,
      status: 200,
      msg: 'GET /users/:id 200',
    });
    expect(fixed).toEqual(pino);
  });

  it("match pino with Datadog's keys: its level key moves the status field to log.status", () => {
    const dd = () => [datadogLogFormat({ service: 'checkout', env: 'test', version: '1.2.3' }, true)];
    const { pino, fixed } = both(
      { formats: dd() },
      'warn',
      ['POST', '/orders', '/orders', 404, 0.5, undefined],
      'x',
    );
    expect(JSON.parse(pino[0]!)).toMatchObject({
      status: 'warn',
      'log.status': 404,
      'dd.span_id': '67667974448284343',
    });
    expect(fixed).toEqual(pino);
  });

  it("match pino with Elastic's ECS keys and ISO time", () => {
    const ecs = [elasticLogFormat({ environment: 'test', dataset: 'checkout' })];
    const failed: Values = ['GET', 'unmatched', '/x', undefined, 12.5, 'aborted'];
    const { pino, fixed } = both({ formats: ecs }, 'error', failed, 'GET /x aborted');
    expect(JSON.parse(pino[0]!)).toMatchObject({
      '@timestamp': '2026-05-01T12:00:00.123Z',
      error_type: 'aborted',
    });
    expect(JSON.parse(pino[0]!)).not.toHaveProperty('status');
    expect(fixed).toEqual(pino);
  });

  it('match pino on strings that need escaping, long strings and an invalid span context', () => {
    const odd: Values = ['GET', '/a/:b', '/a/"quoted"\\back\u0001ctl', 500, 3, '500'];
    expect(both({}, 'error', odd, 'say "hi"').fixed).toEqual(both({}, 'error', odd, 'say "hi"').pino);
    const long: Values = ['GET', '/l', `/${'é'.repeat(150)}`, 200, 1, undefined];
    const r = both({}, 'info', long, 'long');
    expect(r.fixed).toEqual(r.pino);
    const invalid = { traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 0 };
    const none = both({}, 'info', ok, 'm', invalid);
    expect(JSON.parse(none.pino[0]!)).not.toHaveProperty('trace_id');
    expect(none.fixed).toEqual(none.pino);
  });

  it('carry the bindings the logger was given after the writer was made (setBindings), as pino does', () => {
    const viaPino = logger({}, SPAN);
    const fixed = logger({}, SPAN);
    const writer = fixedLineWriter(fixed.log, KEYS);
    for (const { log } of [viaPino, fixed]) log.setBindings({ build: 'b-2', region: 'eu' });

    viaPino.log.info(
      { method: 'GET', route: '/users/:id', path: '/users/42', status: 200, duration_ms: 1.234 },
      'm',
    );
    writer!.write('info', SPAN, ok, 'm');

    expect(JSON.parse(viaPino.lines[0]!)).toMatchObject({ build: 'b-2', region: 'eu' });
    expect(fixed.lines).toEqual(viaPino.lines);
  });

  it('are left to pino once setBindings() gave the logger a correlation field of its own', () => {
    const { log, lines } = logger({}, SPAN);
    const writer = fixedLineWriter(log, KEYS);
    log.setBindings({ trace_id: 'upstream-1' });
    // pino writes it after the span's, as log.trace_id; this writer, with the bindings alone, would not.
    expect(writer!.write('info', SPAN, ok, 'm')).toBe(false);
    expect(lines).toEqual([]);
  });

  it('leave out a line below the logger level, as pino does', () => {
    const { pino, fixed } = both({ level: 'warn' }, 'info', ok, 'quiet');
    expect(pino).toEqual([]);
    expect(fixed).toEqual([]);
  });

  it('are left to pino when a field could be redacted', () => {
    expect(fixedLineWriter(logger({ redactKeys: ['path'] }, SPAN).log, KEYS)).toBeUndefined();
    expect(fixedLineWriter(logger({ redactPaths: ['req.body'] }, SPAN).log, KEYS)).toBeUndefined();
    // A correlation field named like a redacted key: this line goes to pino, nothing is written here.
    const sensitive: LogFormat = { correlate: () => ({ token: 'abc' }) };
    const { log, lines } = logger({ formats: [sensitive], redactKeys: ['token'] }, SPAN);
    expect(fixedLineWriter(log, KEYS)!.write('info', SPAN, ok, 'm')).toBe(false);
    expect(lines).toEqual([]);
  });
});
