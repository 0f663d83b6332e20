import { type AdapterContext, type EncodedBody, type LogKeys, setField } from '../../src/export/index.js';
import { type AttributeCuts, countCuts, cutName, type NrValue, toNrValue, truncate } from './attributes.js';

/** One Log API record (detailed form). */
export interface NrLog {
  timestamp?: number;
  message?: string;
  level?: string;
  attributes?: Record<string, NrValue>;
}

/** Most attributes on one log event, `common` included. */
export const MAX_LOG_ATTRIBUTES = 255;

/** A line waiting for the Log API; `counted` once what its attributes lost to the limits is counted. */
export interface NrLogLine {
  readonly line: string;
  counted: boolean;
}

/** Room left for a record's attributes, and how many did not fit. */
interface Budget {
  left: number;
  over: number;
}

/** New Relic keeps values beyond 4,094 characters as a blob up to 128 KB and cuts the rest. */
export const MAX_LOG_VALUE_CHARS = 128 * 1024;
const MAX_DEPTH = 4;

// Dropped by the Log API (accountId, eventType, instrumentation.*) or clashing with the record's own
// top-level keys; renamed with an `attr.` prefix so nothing the caller logged disappears.
const RESERVED = new Set(['accountId', 'eventType', 'timestamp', 'message', 'level', 'attributes']);

function attributeName(key: string, onCut: () => void): string {
  return cutName(RESERVED.has(key) || key.startsWith('instrumentation.') ? `attr.${key}` : key, onCut);
}

/**
 * Turns one sightline log line into a Log API record: the message, time and level keys (as the
 * primary log format named them) become `message`, `timestamp` and `level`; every other field becomes
 * an attribute, nested objects flattened with dots, arrays as JSON text. Fields equal to the `common`
 * block (service, environment, entity, host) are left to it. A line that is not a JSON object is sent
 * as the message, so nothing is lost. Attributes past the Log API's 255 are left out, and names
 * past its length (see `cutName`) and values past its 128 KB cut, their numbers added to `cuts`.
 */
export function toNrLog(
  line: string,
  keys: LogKeys,
  common: Readonly<Record<string, NrValue>>,
  cuts: AttributeCuts = { leftOut: 0, cut: 0 },
): NrLog {
  const onCut = () => {
    cuts.cut++;
  };
  let fields: unknown;
  try {
    fields = JSON.parse(line);
  } catch {
    return { message: withinBlob(line, onCut) };
  }
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) {
    return { message: withinBlob(line, onCut) };
  }
  const record = fields as Record<string, unknown>;
  const log: NrLog = {};
  const time = toEpochMs(record[keys.timeKey]);
  if (time !== undefined) log.timestamp = time;
  const message = record[keys.messageKey];
  if (message !== undefined && message !== null)
    log.message = String(withinBlob(toNrValue(message, WHOLE), onCut));
  const level = record[keys.levelKey];
  if (typeof level === 'string' || typeof level === 'number') log.level = String(level);

  const budget: Budget = { left: MAX_LOG_ATTRIBUTES - Object.keys(common).length - 3, over: 0 };
  const attributes: Record<string, NrValue> = {};
  for (const key in record) {
    if (key === keys.timeKey || key === keys.messageKey || key === keys.levelKey) continue;
    const value = record[key];
    let name = key;
    // sightline's neutral correlation fields duplicate New Relic's `trace.id`/`span.id`.
    if (key === 'trace_id' || key === 'span_id') {
      const nrKey = key === 'trace_id' ? 'trace.id' : 'span.id';
      if (nrKey in record) continue;
      name = nrKey;
    }
    if (common[name] !== undefined && common[name] === value) continue;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      flatten(name, value as Record<string, unknown>, 1, attributes, budget, onCut);
      continue;
    }
    const v = toNrValue(value, WHOLE);
    if (v === undefined || !take(budget)) continue;
    setField(attributes, attributeName(name, onCut), withinBlob(v, onCut));
  }
  cuts.leftOut += budget.over;
  for (const _ in attributes) {
    log.attributes = attributes;
    break;
  }
  return log;
}

function flatten(
  prefix: string,
  object: Record<string, unknown>,
  depth: number,
  out: Record<string, NrValue>,
  budget: Budget,
  onCut: () => void,
): void {
  for (const key in object) {
    const name = `${prefix}.${key}`;
    const value = object[key];
    if (typeof value === 'object' && value !== null && !Array.isArray(value) && depth < MAX_DEPTH) {
      flatten(name, value as Record<string, unknown>, depth + 1, out, budget, onCut);
      continue;
    }
    const v = toNrValue(value, WHOLE);
    if (v === undefined || !take(budget)) continue;
    out[attributeName(name, onCut)] = withinBlob(v, onCut);
  }
}

// Values are converted whole, and cut by `withinBlob` only once they are kept, so a cut is counted
// for what is sent.
const WHOLE = Number.POSITIVE_INFINITY;

/** A value within the 128 KB New Relic keeps; `onCut` hears of a longer one, which is cut. */
function withinBlob<T extends NrValue | undefined>(value: T, onCut: () => void): T | string {
  if (typeof value !== 'string' || value.length <= MAX_LOG_VALUE_CHARS) return value;
  onCut();
  return truncate(value, MAX_LOG_VALUE_CHARS);
}

/** Takes a place for one more attribute; false, and counted, once none is left. */
function take(budget: Budget): boolean {
  if (budget.left > 0) {
    budget.left--;
    return true;
  }
  budget.over++;
  return false;
}

function toEpochMs(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.floor(value) : undefined;
  if (typeof value === 'string') {
    const t = Date.parse(value);
    return Number.isFinite(t) ? t : undefined;
  }
  return undefined;
}

/** Rough encoded size of one line as a Log API record. */
export function sizeOfLine(item: NrLogLine): number {
  return item.line.length + 32;
}

/**
 * Encodes a batch of log lines as one Log API map (detailed form): the fields every line shares in
 * `common.attributes`, the records under `logs`. What the lines' attributes lost to the limits is
 * counted through `countDrop`, each line once: a batch cut in halves (413) is encoded again.
 *
 * @example
 * encodeLogs([{ line: '{"level":"info","timestamp":1700000000000,"message":"order placed"}', counted: false }], keys, {}, ctx.countDrop);
 * // [{"common":{"attributes":{}},"logs":[{"timestamp":1700000000000,"message":"order placed","level":"info"}]}]
 */
export function encodeLogs(
  lines: readonly NrLogLine[],
  keys: LogKeys,
  common: Readonly<Record<string, NrValue>>,
  countDrop: AdapterContext['countDrop'],
): EncodedBody {
  const cuts: AttributeCuts = { leftOut: 0, cut: 0 };
  const logs = lines.map((item) => {
    if (item.counted) return toNrLog(item.line, keys, common);
    item.counted = true;
    return toNrLog(item.line, keys, common, cuts);
  });
  countCuts(cuts, countDrop);
  return {
    body: JSON.stringify([{ common: { attributes: common }, logs }]),
    contentType: 'application/json',
  };
}
