/**
 * Hostile values for the public API, picked by a seeded generator, and the walk that checks what an
 * intake received.
 */
import type { Sightline } from '../../src/api/types.js';
import { prng } from '../unit/anomaly/series.js';

// A megabyte: ten take 30 to 110 ms a log call, the time to write them out, not a hold-up.
const HUGE = 'h'.repeat(1024 * 1024);

function deep(levels: number): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  let at = root;
  for (let i = 0; i < levels; i++) {
    const next: Record<string, unknown> = {};
    at.next = next;
    at = next;
  }
  return root;
}

function throwingProxy(): object {
  const trap = () => {
    throw new Error('proxy trap');
  };
  return new Proxy(
    {},
    { get: trap, ownKeys: trap, getOwnPropertyDescriptor: trap, has: trap, getPrototypeOf: trap },
  );
}

function causeCycle(): Error {
  const a = new Error('a');
  const b = new Error('b', { cause: a });
  (a as { cause?: unknown }).cause = b;
  return new AggregateError([a, b, 'plain'], 'many', { cause: b });
}

/** Names no backend takes as given. */
export const NAMES: readonly (() => unknown)[] = [
  () => '',
  () => 'n'.repeat(10_000),
  () => 'a\u0000b',
  () => 'ctl\u0001\u001f\u007f.x',
  () => 'lone\ud800.x',
  () => 'trail\udfff',
  () => '北京.orders',
  () => 'a b/c:d',
  () => '.leading.dot',
  () => '123',
  () => 'ok.name',
  () => Symbol('name'),
  () => 42,
];

/** Values a metric may be given. */
export const NUMBERS: readonly (() => unknown)[] = [
  () => Number.NaN,
  () => Number.POSITIVE_INFINITY,
  () => Number.NEGATIVE_INFINITY,
  () => -0,
  () => 1e308,
  () => -1e308,
  () => 2 ** 53 + 2,
  () => 2 ** 64,
  () => Number.MIN_VALUE,
  () => 10n ** 30n,
  () => 5n,
  () => Symbol('v'),
  () => () => 1,
  () => '7',
  () => 3,
  () => 0.25,
];

/** Values an attribute, a log field or a span attribute may be given. */
export const VALUES: readonly (() => unknown)[] = [
  ...NUMBERS,
  () => HUGE,
  () => 'nul\u0000inside',
  () => 'ctl\u0001\u0007\u001b[31m',
  () => 'lone\ud800',
  () => '\udc00first',
  () => 'x'.repeat(10_000),
  () => throwingProxy(),
  () =>
    Object.defineProperty({}, 'boom', {
      enumerable: true,
      get() {
        throw new Error('getter');
      },
    }),
  () => ({
    toJSON() {
      throw new Error('toJSON');
    },
  }),
  () => {
    const o: Record<string, unknown> = {};
    o.toJSON = () => o;
    return o;
  },
  () => {
    const o: Record<string, unknown> = { a: 1 };
    o.self = o;
    return o;
  },
  () => deep(10_000),
  () => Object.freeze({ frozen: true, inner: Object.freeze([1, 2]) }),
  () => Object.assign(Object.create(null), { nullProto: 'yes' }),
  () => Object.defineProperty({ shown: 1 }, 'hidden', { value: 'secret', enumerable: false }),
  () => [1, 'two', true, null, undefined, 3n, { o: 1 }, Number.NaN, 'lone\ud800'],
  () => ['a', 'b'],
  () => [1.5, Number.POSITIVE_INFINITY],
  () => causeCycle(),
  () => new Error('plain'),
  () => null,
  () => undefined,
  () => true,
  () => new Date(Number.NaN),
  () => new Map([[1, 2]]),
];

/** Values whose properties can all be read. */
const READABLE: readonly (() => unknown)[] = [
  () => HUGE,
  () => 'lone\ud800',
  () => 'nul\u0000inside',
  () => Number.NaN,
  () => 2 ** 64,
  () => [1, 'two', true, null, undefined, Number.NaN],
  () => 'x'.repeat(10_000),
];

const ERRORS: readonly (() => unknown)[] = [
  () => causeCycle(),
  () => new Error(HUGE),
  () => Object.assign(new Error('lone\ud800'), { code: 'nul\u0000' }),
  () => 'a string',
];

const MESSAGES: readonly string[] = ['msg', HUGE, 'lone\ud800', 'nul\u0000ctl\u001b', ''];

/** Attribute keys, hostile ones among them. */
export const KEYS: readonly string[] = [
  '',
  'k'.repeat(10_000),
  'nul\u0000key',
  'ctl\u0001key',
  'lone\ud800key',
  '__proto__',
  'constructor',
  'user.id',
  'route',
  'a b',
];

/** One generator of the seed's choices. */
export function picker(seed: number) {
  const rand = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
  const attributes = (): Record<string, unknown> => {
    const n = Math.floor(rand() * 4);
    const out: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) out[pick(KEYS)] = pick(VALUES)();
    if (rand() < 0.1) return pick(VALUES)() as Record<string, unknown>;
    return out;
  };
  return { rand, pick, attributes };
}

export interface DriveResult {
  /** Calls that threw into the caller, as `what: message`. */
  readonly threw: string[];
  /** Calls that held the event loop over the limit, in time on the CPU, as `what: ms`. */
  readonly slow: string[];
  readonly calls: number;
}

/**
 * Makes `calls` API calls of every kind with hostile names, values and attributes; the values a
 * call was given are named in what it reports.
 */
export function drive(obs: Sightline, seed: number, calls: number, slowMs = 50): DriveResult {
  const { rand, pick, attributes } = picker(seed);
  const threw: string[] = [];
  const slow: string[] = [];
  const api = obs as unknown as Record<string, any>;
  const m = obs.metrics as unknown as Record<string, (...a: unknown[]) => any>;
  const log = obs.log as unknown as Record<string, (...a: unknown[]) => void>;
  // A name of its own per kind: two kinds under one name are warned of, and not what this drives.
  const kindName = (kind: string) => {
    const name = pick(NAMES)();
    return typeof name === 'string' ? `${name}.${kind}` : name;
  };
  // Each makes its values, then hands back the call, which can be made again with them.
  const ops: readonly [string, () => () => void][] = [
    [
      'counter',
      () => {
        const [name, v, a] = [pick(NAMES)(), pick(NUMBERS)(), attributes()];
        return () => m.counter?.(name).add(v, a);
      },
    ],
    [
      'upDownCounter',
      () => {
        const [name, v, a] = [kindName('u'), pick(NUMBERS)(), attributes()];
        return () => m.upDownCounter?.(name).add(v, a);
      },
    ],
    [
      'gauge',
      () => {
        const [name, v, a] = [kindName('g'), pick(NUMBERS)(), attributes()];
        return () => m.gauge?.(name).record(v, a);
      },
    ],
    [
      'histogram',
      () => {
        const [name, v, a] = [kindName('h'), pick(NUMBERS)(), attributes()];
        const buckets = rand() < 0.5 ? [1, 10, 100] : undefined;
        return () => m.histogram?.(name, { buckets }).record(v, a);
      },
    ],
    [
      'log fields',
      () => {
        const [a, msg] = [attributes(), pick(MESSAGES)];
        return () => log.info?.(a, msg);
      },
    ],
    [
      'log error',
      () => {
        const v = pick(VALUES)();
        return () => log.error?.(v, 'failed');
      },
    ],
    [
      'log err field',
      () => {
        const fields = { err: pick(VALUES)(), [pick(KEYS)]: pick(VALUES)() };
        return () => log.warn?.(fields, 'w');
      },
    ],
    [
      'log message',
      () => {
        const v = pick(VALUES)();
        return () => log.info?.(v);
      },
    ],
    [
      'span',
      () => {
        const [name, key, value] = [pick(NAMES)(), pick(KEYS), pick(VALUES)()];
        // addEvent and recordException are the OpenTelemetry SDK's own Span methods, which read
        // what they are given as it is: hand them what can be read.
        const event = { [pick(KEYS)]: pick(READABLE)() };
        const [eventName, error] = [pick(KEYS), pick(ERRORS)()];
        return () =>
          api.trace(name, (span: any) => {
            span.setAttribute(key, value);
            span.addEvent(eventName, event);
            span.recordException(error);
          });
      },
    ],
    [
      'span options',
      () => {
        const [name, a] = [pick(NAMES)(), attributes()];
        return () => api.trace(name, { attributes: a }, () => undefined);
      },
    ],
  ];
  // Time on this thread's CPU, not on the clock: on a loaded machine (test files run side by side,
  // other jobs) a call of a few milliseconds' work waits over a hundred for a core. What holds the
  // loop here is work (a walk, a copy, a pattern); the sinks are in memory, so none waits on I/O.
  const timed = (call: () => void, what: string): number => {
    const t0 = threadCpu();
    try {
      call();
    } catch (error) {
      threw.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
    }
    const used = threadCpu(t0);
    return (used.user + used.system) / 1000;
  };
  for (let i = 0; i < calls; i++) {
    const [what, make] = pick(ops);
    const call = make();
    // A collection of the heap can hold up any one call: a call is slow when made again, after a
    // collection, it still is.
    if (timed(call, what) <= slowMs) continue;
    (globalThis as { gc?: () => void }).gc?.();
    const ms = timed(call, what);
    if (ms > slowMs) slow.push(`${what} #${i}: ${ms.toFixed(0)} ms`);
  }
  return { threw, slow, calls };
}

/** This thread's CPU time; the process's before Node 22.19, which has no measure of a thread's. */
const threadCpu: (since?: NodeJS.CpuUsage) => NodeJS.CpuUsage =
  typeof process.threadCpuUsage === 'function'
    ? (since) => process.threadCpuUsage(since)
    : (since) => process.cpuUsage(since);

/** What is wrong in a parsed JSON body: numbers that are not finite. */
export function jsonFaults(value: unknown, where = '$', out: string[] = []): string[] {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) out.push(`${where}: ${value}`);
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) jsonFaults(value[i], `${where}[${i}]`, out);
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) jsonFaults(v, `${where}.${k.slice(0, 40)}`, out);
  }
  return out;
}

/** Each line of newline-delimited JSON, parsed, or a fault for a line that is not JSON. */
export function ndjsonFaults(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      jsonFaults(JSON.parse(line), '$', out);
    } catch {
      out.push(`not JSON: ${line.slice(0, 80)}`);
    }
  }
  return out;
}
