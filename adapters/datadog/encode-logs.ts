import {
  cutText,
  cutUtf8,
  ItemTooLargeError,
  isDefaultLevel,
  type LogKeys,
  setField,
} from '../../src/export/index.js';
import { customLevelFields } from './log-format.js';

/** Datadog truncates a single log above 1 MB; sightline cuts it first so the JSON stays whole. */
export const MAX_LOG_BYTES = 1_000_000;

/** Fields every HTTP log entry carries. */
export interface LogEntryDefaults {
  readonly service: string;
  readonly hostname: string | undefined;
  /** Comma-separated `key:value` tags (`env:prod,version:1.4.2,...`). */
  readonly ddtags: string;
  /** How many of `ddtags` were cut to 200 characters, counted for each line sent with them. */
  readonly tagsCut?: number | undefined;
}

/**
 * Keys the adapter owns on an HTTP log entry, and `host`, which Datadog reads as the entry's host as
 * it reads `hostname`; a log field with the same name moves to `log.<name>`.
 */
const RESERVED = new Set([
  'ddsource',
  'service',
  'host',
  'hostname',
  'ddtags',
  'message',
  'status',
  'timestamp',
]);

const PINO_LEVELS: Readonly<Record<number, string>> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

/** A line waiting for `/api/v2/logs`; `counted` once a cut to fit 1 MB is counted for it. */
export interface DdLogLine {
  readonly line: string;
  counted: boolean;
}

/** Encodes log lines into `/api/v2/logs` JSON arrays. */
export interface LogEncoder {
  /**
   * One entry per line, a JSON object string within {@link MAX_LOG_BYTES}; `onCut` hears of a cut.
   * Throws {@link ItemTooLargeError} for a line that cannot fit even cut.
   */
  entry(line: string, onCut?: () => void): string;
}

/**
 * Creates the encoder. `keys` is read at encode time: the line shape is only known once every
 * adapter is set up.
 *
 * @example
 * const enc = createLogEncoder({ service: 'checkout', hostname: 'web-01', ddtags: 'env:prod' }, () => ctx.logKeys);
 * const body = `[${lines.map(enc.entry).join(',')}]`;
 */
export function createLogEncoder(defaults: LogEntryDefaults, keys: () => LogKeys): LogEncoder {
  const head: Record<string, unknown> = { ddsource: 'nodejs', service: defaults.service };
  if (defaults.hostname) head.hostname = defaults.hostname;
  head.ddtags = defaults.ddtags;

  function entry(line: string, onCut?: () => void): string {
    const record = JSON.parse(line) as Record<string, unknown>;
    const { messageKey, levelKey, timeKey, levelValue } = keys();
    const out: Record<string, unknown> = { ...head };
    const message = record[messageKey];
    out.message =
      typeof message === 'string' ? message : message === undefined ? '' : JSON.stringify(message);
    const level = record[levelKey];
    const custom = typeof level === 'string' && !isDefaultLevel(level) ? levelValue?.(level) : undefined;
    if (custom !== undefined) Object.assign(out, customLevelFields(level as string, custom));
    else if (level !== undefined)
      out.status = typeof level === 'number' ? (PINO_LEVELS[level] ?? 'info') : level;
    const time = record[timeKey];
    if (time !== undefined) out.timestamp = time;
    for (const key in record) {
      if (key === messageKey || key === levelKey || key === timeKey) continue;
      // A field such as an HTTP `status: 404` must not pass for the log level.
      setField(out, RESERVED.has(key) ? `log.${key}` : key, record[key]);
    }
    const json = JSON.stringify(out);
    // UTF-8 needs at most 3 bytes per UTF-16 unit: only long entries need measuring.
    if (json.length * 3 <= MAX_LOG_BYTES || Buffer.byteLength(json) <= MAX_LOG_BYTES) return json;
    const cut = shrink(out);
    onCut?.();
    return cut;
  }

  return { entry };
}

/** Where a line has its error: pino's key, or the ECS object when Elastic's lines come first. */
const ERROR_KEYS = ['err', 'error'];
/** An error's texts a cut entry keeps, cut as its message is. */
const ERROR_TEXTS = ['message', 'stack', 'stack_trace'];
/**
 * Most characters a cut entry keeps of a field it keeps whole (a level, a time, an id, a unified
 * service tag, an error's type, all far shorter), so that a line whose own `dd.env` is a megabyte
 * still fits.
 */
const KEPT_CHARS = 256;

/**
 * Keeps what identifies and correlates the entry, and its error's type, message and stack, drops
 * the other fields and cuts the texts until the entry fits, marking it `sightline.truncated`. Throws
 * {@link ItemTooLargeError} when even the texts cut to nothing leave it over, which the service,
 * host name and tags `datadog()` takes leave far from happening.
 */
function shrink(full: Record<string, unknown>): string {
  const keep: Record<string, unknown> = { 'sightline.truncated': true };
  for (const key of ['ddsource', 'service', 'hostname', 'ddtags']) {
    if (full[key] !== undefined) keep[key] = full[key];
  }
  for (const key of ['status', 'timestamp']) {
    if (full[key] !== undefined) keep[key] = short(full[key]);
  }
  for (const key of ['dd.trace_id', 'dd.span_id', 'dd.service', 'dd.env', 'dd.version']) {
    if (typeof full[key] === 'string') keep[key] = short(full[key]);
  }
  const texts: [Record<string, unknown>, string, string][] = [[keep, 'message', String(full.message ?? '')]];
  for (const key of ERROR_KEYS) {
    const error = full[key];
    if (error === null || typeof error !== 'object' || Array.isArray(error)) continue;
    const fields = error as Record<string, unknown>;
    const kept: Record<string, unknown> = {};
    if (typeof fields.type === 'string') kept.type = short(fields.type);
    for (const name of ERROR_TEXTS)
      if (typeof fields[name] === 'string') texts.push([kept, name, fields[name] as string]);
    if (texts.at(-1)?.[0] === kept || kept.type !== undefined) keep[key] = kept;
  }
  // What the entry takes besides its texts, measured with them empty.
  for (const [target, name] of texts) target[name] = '';
  const room = MAX_LOG_BYTES - Buffer.byteLength(JSON.stringify(keep));
  if (room < 0) throw new ItemTooLargeError('a log entry over 1 MB even cut');
  // Each text's size as the entry writes it, escapes included; of one past the room, only that.
  const sizes = texts.map(([, , text]) =>
    text.length > room || Buffer.byteLength(text) > room ? room : jsonBytes(text),
  );
  const budgets = shares(sizes, room);
  texts.forEach(([target, name, text], i) => {
    target[name] = cutUtf8(text, budgets[i]!);
  });
  const json = JSON.stringify(keep);
  if (Buffer.byteLength(json) <= MAX_LOG_BYTES) return json;
  texts.forEach(([target, name], i) => {
    target[name] = withinJson(target[name] as string, budgets[i]!);
  });
  return JSON.stringify(keep);
}

/** Bytes of UTF-8 `text` takes as a JSON string, escapes included, quotes aside. */
function jsonBytes(text: string): number {
  return Buffer.byteLength(JSON.stringify(text)) - 2;
}

/**
 * The longest start of `text` that takes at most `maxBytes` bytes of UTF-8 as a JSON string, its
 * escapes included (`"` and a line break two bytes, a control character or a lone half of a
 * surrogate pair six), cut between characters. Cut once, where cutting again in proportion to how
 * far the entry went over took dozens of rounds of a megabyte each on text whose escapes come first
 * (a binary dump before a statement), blocking the event loop.
 */
function withinJson(text: string, maxBytes: number): string {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const pair = (c & 0xfc00) === 0xd800 && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
    bytes += pair ? 4 : jsonCharBytes(c);
    if (bytes > maxBytes) return text.slice(0, i);
    if (pair) i++;
  }
  return text;
}

/** Bytes of one UTF-16 unit, not half of a pair, in a JSON string. */
function jsonCharBytes(c: number): number {
  if (c >= 0x80) return c < 0x800 ? 2 : c >= 0xd800 && c <= 0xdfff ? 6 : 3;
  if (c >= 0x20) return c === 0x22 || c === 0x5c ? 2 : 1;
  return SHORT_ESCAPES.has(c) ? 2 : 6;
}

/** Control characters JSON writes in two bytes (`\b`, `\t`, `\n`, `\f`, `\r`); the others take six. */
const SHORT_ESCAPES = new Set([0x08, 0x09, 0x0a, 0x0c, 0x0d]);

/** A field a cut entry keeps, within {@link KEPT_CHARS}: a longer object or array as its JSON text, cut. */
function short(value: unknown): unknown {
  if (typeof value === 'string') return cutText(value, KEPT_CHARS);
  if (typeof value !== 'object' || value === null) return value;
  const text = JSON.stringify(value);
  return text.length > KEPT_CHARS ? cutText(text, KEPT_CHARS) : value;
}

/**
 * How much of each text of `lengths` a cut entry keeps: equal shares of `total`, what a shorter
 * text leaves of its share going to the longer ones (a long message beside a short error).
 */
function shares(lengths: readonly number[], total: number): number[] {
  const out = lengths.slice();
  const shortestFirst = lengths.map((_, i) => i).sort((a, b) => lengths[a]! - lengths[b]!);
  let left = total;
  shortestFirst.forEach((i, done) => {
    out[i] = Math.min(lengths[i]!, Math.floor(left / (lengths.length - done)));
    left -= out[i]!;
  });
  return out;
}

/** Wraps entries into one `/api/v2/logs` body. */
export function logsBody(entries: readonly string[]): string {
  return `[${entries.join(',')}]`;
}
