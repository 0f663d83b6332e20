import { parse } from 'node:querystring';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { getSightline } from '../../../src/index.js';
import { startCaptured } from '../../helpers/capture.js';

afterEach(async () => {
  await getSightline()?.shutdown();
});

/** Raw pino configured to write sightline's line: the reference for every call shape. */
function rawPino() {
  const lines: string[] = [];
  const logger = pino(
    {
      level: 'trace',
      base: {
        'service.name': 'test-svc',
        'deployment.environment.name': 'test',
        'service.version': '1.2.3',
      },
      timestamp: pino.stdTimeFunctions.epochTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    { write: (l: string) => lines.push(l) },
  );
  return { logger, lines };
}

const withoutTime = (line: string) => {
  const { time: _time, ...rest } = JSON.parse(line) as Record<string, unknown>;
  return rest;
};

type Call = (log: pino.Logger) => void;

/** pino reads `method` to tell a request from other objects; this one throws when it does. */
const throwingMethodGetter = () =>
  Object.defineProperty({}, 'method', {
    get() {
      throw new Error('getter');
    },
    enumerable: true,
  });

const socket = { remoteAddress: '127.0.0.1', remotePort: 5000 };
// A cache entry that points back to itself, as a parent and child or a linked list does.
const looped: Record<string, unknown> = { id: 'c-1', nested: { depth: 1 } };
looped.self = looped;
(looped.nested as Record<string, unknown>).owner = looped;
// An error whose message is such an object: pino writes it as the line's message.
const loopedError = Object.assign(new Error('looped'), { message: looped as unknown as string });
// One error each, logged by both loggers: its stack is part of the line.
const boom = new Error('boom');
const alone = new Error('alone');
const CALLS: [string, Call][] = [
  ['object and message', (log) => log.info({ orderId: 7, nested: { a: [1, 2] } }, 'order placed')],
  ['object, message and interpolation', (log) => log.warn({ orderId: 7 }, 'order %s in %d ms', 'x', 12)],
  ['object, message and an extra argument', (log) => log.info({ a: 1 }, 'message', { extra: true })],
  ['message only', (log) => log.info('plain message')],
  ['message with interpolation', (log) => log.debug('took %d ms', 5)],
  ['object only', (log) => log.error({ code: 'E1' })],
  ['null and message', (log) => log.info(null, 'null object')],
  ['an error and message', (log) => log.error(boom, 'failed')],
  ['an error alone', (log) => log.error(alone)],
  ['a message with a percent sign', (log) => log.info({ p: 1 }, '100% done %s')],
  ['a circular object written by %j', (log) => log.info('entry %j', looped)],
  ['a circular object written by %o', (log) => log.info({ a: 1 }, 'entry %o', looped)],
  ['a circular object written by %O', (log) => log.info('entry %O', [looped])],
  ['a circular object as the message', (log) => log.info({ a: 1 }, looped as unknown as string)],
  [
    'a request-like object',
    (log) => log.info({ method: 'GET', url: '/x', headers: { accept: 'json' }, socket }, 'request'),
  ],
  [
    'a response-like object',
    (log) => log.info({ statusCode: 200, setHeader() {}, getHeaders: () => ({}) }, 'res'),
  ],
  ['trace level', (log) => log.trace({ t: 1 }, 'trace line')],
  ['fatal level', (log) => log.fatal({ f: 1 }, 'fatal %s', 'line')],
  [
    'a child with a message prefix',
    (log) => log.child({ c: 1 }, { msgPrefix: '[svc] ' }).info({ a: 1 }, 'm'),
  ],
  ['a child without one', (log) => log.child({ c: 2 }).warn({ a: 2 }, 'child line')],
];

describe('the log call fast path', () => {
  it.each(CALLS)('writes the same line as pino for %s', (_name, call) => {
    const { obs, lines } = startCaptured({ logLevel: 'trace' });
    const raw = rawPino();
    call(obs.log);
    call(raw.logger);
    expect(lines).toHaveLength(raw.lines.length);
    expect(lines.map(withoutTime)).toEqual(raw.lines.map(withoutTime));
  });

  it('writes an error whose message is an object leading back to itself as pino writes that object', () => {
    const { obs, logs } = startCaptured();
    const raw = rawPino();
    obs.log.error(loopedError);
    raw.logger.error(loopedError);
    const expected = (JSON.parse(raw.lines[0]!) as { msg: unknown }).msg;
    expect(expected).toEqual({ id: 'c-1', nested: { depth: 1, owner: '[Circular]' }, self: '[Circular]' });
    expect(logs()[0]?.msg).toEqual(expected);
    // The error keeps its message as text, for every backend: the same JSON.
    expect(JSON.parse(logs()[0]?.err.message)).toEqual(expected);
  });

  it('costs the line, never the caller, when pino trips on a getter while inspecting the object', () => {
    const { obs, lines } = startCaptured();
    const hostile = throwingMethodGetter();
    expect(() => obs.log.info(hostile, 'x')).not.toThrow();
    expect(() => obs.log.info(hostile, 'x %s', 'y')).not.toThrow();
    expect(lines).toHaveLength(0);
    expect(obs.drops().log_error).toBe(2);
  });

  it('survives level changes on the logger and on its children', () => {
    const { obs, logs, lines } = startCaptured({ logLevel: 'info' });
    const hostile = throwingMethodGetter();
    obs.log.debug({ a: 0 }, 'hidden');
    obs.log.level = 'debug';
    obs.log.debug({ a: 1 }, 'shown');
    expect(() => obs.log.debug(hostile, 'x')).not.toThrow();

    const child = obs.log.child({ c: 1 }, { level: 'trace' });
    child.trace({ a: 2 }, 'child trace');
    expect(() => child.trace(hostile, 'x')).not.toThrow();

    obs.log.level = 'warn';
    obs.log.info({ a: 3 }, 'hidden again');
    obs.log.warn({ a: 4 }, 'warned');
    expect(() => obs.log.error(hostile, 'x')).not.toThrow();

    expect(logs().map((l) => [l.level, l.msg, l.c])).toEqual([
      ['debug', 'shown', undefined],
      ['trace', 'child trace', 1],
      ['warn', 'warned', undefined],
    ]);
    expect(lines).toHaveLength(3);
    expect(obs.drops().log_error).toBe(3);
  });

  it('guards fatal too, and keeps its synchronous flush, across level changes', () => {
    const { obs, logs } = startCaptured({ logLevel: 'info' });
    const stream = (obs.log as unknown as Record<symbol, { flushSync(): void }>)[pino.symbols.streamSym];
    const flushSync = vi.spyOn(stream!, 'flushSync');
    const badToString = {
      toString() {
        throw new Error('toString that throws');
      },
    };
    const odd = () => {
      obs.log.fatal('query %s', parse('user=ada')); // a null-prototype object has no toString
      obs.log.fatal('user %s', badToString);
      obs.log.fatal(throwingMethodGetter(), 'x');
    };

    expect(odd).not.toThrow();
    obs.log.fatal({ code: 'E1' }, 'going down');
    expect(flushSync).toHaveBeenCalledTimes(1);
    obs.log.level = 'warn';
    expect(odd).not.toThrow();
    expect(() => obs.log.child({ c: 1 }).fatal('user %s', badToString)).not.toThrow();

    expect(logs().map((l) => [l.level, l.msg, l.code])).toEqual([['fatal', 'going down', 'E1']]);
    expect(obs.drops().log_error).toBe(7);
  });
});
