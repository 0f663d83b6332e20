import type { Sightline } from '../../api/types.js';
import { describeValue, ErrorCodes, SightlineConfigError } from '../../diag/errors.js';

/** A path to leave alone: an exact path, a pattern, or a predicate on the path (query string removed). */
export type IgnoreMatcher = string | RegExp | ((path: string) => boolean);

/** Options shared by the Express middleware and the Fastify plugin. */
export interface HttpServerOptions {
  /** The instance to report to; defaults to the one `init()` registered, resolved at the first request. */
  sightline?: Sightline | undefined;
  /**
   * Requests to leave entirely alone (no span, no metrics, no log line), such as health checks.
   * Strings match the whole path exactly; the query string is never part of the path.
   */
  ignore?: IgnoreMatcher | readonly IgnoreMatcher[] | undefined;
  /**
   * One log line per request (method, route, status, duration). `false` turns it off;
   * `sampleRate` (0 to 1, default 1) keeps a share of the successful lines. Lines for 5xx
   * responses and failed requests are always written.
   */
  accessLog?: false | { sampleRate?: number | undefined } | undefined;
}

/** The options once checked; built once, when the middleware or plugin is created. */
export interface ResolvedHttpServerOptions {
  readonly sightline: Sightline | undefined;
  /** Returns true when the path is ignored; undefined when nothing is ignored (the common case). */
  readonly isIgnored: ((path: string) => boolean) | undefined;
  readonly accessLog: boolean;
  readonly accessLogSampleRate: number;
}

const KNOWN_OPTIONS = new Set(['sightline', 'ignore', 'accessLog']);

/**
 * Checks the options at setup, so a mistake fails when the app is built, not at the first request.
 * @throws SightlineConfigError on an unknown option or a value of the wrong kind.
 */
export function resolveHttpServerOptions(
  options: HttpServerOptions | undefined,
  where: string,
  extraKeys: readonly string[] = [],
): ResolvedHttpServerOptions {
  const opts = options ?? {};
  if (typeof opts !== 'object') {
    throw new SightlineConfigError(
      ErrorCodes.CONFIG_INVALID_TYPE,
      where,
      `${where}: options must be an object, got ${describeValue(opts)}. Pass an object such as { ignore: ['/health'] } or nothing.`,
    );
  }
  for (const key of Object.keys(opts)) {
    if (!KNOWN_OPTIONS.has(key) && !extraKeys.includes(key)) {
      throw new SightlineConfigError(
        ErrorCodes.CONFIG_UNKNOWN_OPTION,
        `${where}.${key}`,
        `${where}: unknown option "${key}". Known options: ${[...KNOWN_OPTIONS, ...extraKeys].join(', ')}.`,
      );
    }
  }
  const sightline = opts.sightline;
  if (
    sightline !== undefined &&
    (typeof sightline !== 'object' || sightline === null || !('tracer' in sightline))
  ) {
    throw new SightlineConfigError(
      ErrorCodes.CONFIG_INVALID_TYPE,
      `${where}.sightline`,
      `${where}: option "sightline" must be the object init() returns, got ${describeValue(sightline)}.`,
    );
  }
  let accessLog = true;
  let accessLogSampleRate = 1;
  if (opts.accessLog === false) accessLog = false;
  else if (opts.accessLog !== undefined) {
    const rate =
      typeof opts.accessLog === 'object' && opts.accessLog !== null ? opts.accessLog.sampleRate : NaN;
    if (rate !== undefined && !(typeof rate === 'number' && rate >= 0 && rate <= 1)) {
      throw new SightlineConfigError(
        ErrorCodes.CONFIG_INVALID_VALUE,
        `${where}.accessLog`,
        `${where}: option "accessLog" must be false or { sampleRate } with sampleRate between 0 and 1, got ${describeValue(
          typeof opts.accessLog === 'object' ? rate : opts.accessLog,
        )}.`,
      );
    }
    accessLogSampleRate = rate ?? 1;
  }
  return { sightline, isIgnored: compileIgnore(opts.ignore, where), accessLog, accessLogSampleRate };
}

function compileIgnore(
  ignore: HttpServerOptions['ignore'],
  where: string,
): ((path: string) => boolean) | undefined {
  if (ignore === undefined) return undefined;
  const list = Array.isArray(ignore) ? ignore : [ignore];
  const exact = new Set<string>();
  const patterns: RegExp[] = [];
  const predicates: Array<(path: string) => boolean> = [];
  for (const item of list) {
    if (typeof item === 'string') exact.add(item);
    else if (item instanceof RegExp) patterns.push(item);
    else if (typeof item === 'function') predicates.push(item);
    else {
      throw new SightlineConfigError(
        ErrorCodes.CONFIG_INVALID_TYPE,
        `${where}.ignore`,
        `${where}: option "ignore" takes strings, RegExps or functions of the path, got ${describeValue(item)}.`,
      );
    }
  }
  if (list.length === 0) return undefined;
  return (path) => {
    if (exact.has(path)) return true;
    for (const re of patterns) {
      // A global or sticky RegExp keeps lastIndex between calls; reset it so every request is judged alike.
      re.lastIndex = 0;
      if (re.test(path)) return true;
    }
    for (const predicate of predicates) {
      try {
        if (predicate(path)) return true;
      } catch {
        // A throwing predicate must not break the request: treat the path as not ignored.
      }
    }
    return false;
  };
}
