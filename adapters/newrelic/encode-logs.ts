import {
  type AdapterContext,
  cutUtf8,
  type EncodedBody,
  keepNamesApart,
  type LogKeys,
  setField,
} from '../../src/export/index.js';
import { ENTITY_GUID } from './log-format.js';
import { type AttributeCuts, countCuts, cutName, type NrValue, toNrValue } from './attributes.js';

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
export const MAX_LOG_VALUE_BYTES = 128 * 1024;
const MAX_DEPTH = 4;

// Dropped by the Log API (accountId, eventType, instrumentation.*), clashing with the record's own
// top-level keys, or naming another entity than the line's (entity.guid, which New Relic links a
// line by); renamed with an `attr.` prefix so nothing the caller logged disappears.
const RESERVED = new Set([
  'accountId',
  'eventType',
  'timestamp',
  'message',
  'level',
  'attributes',
  ENTITY_GUID,
]);

/**
 * One value a line gives an attribute: `key` says where it came from (its field's name, or the path
 * of a nested one), `name` is the attribute's.
 */
interface Field {
  readonly key: string;
  readonly name: string;
  readonly value: NrValue;
}

/**
 * The attribute name of a field named `name`: renamed with an `attr.` prefix when the Log API drops
 * it, and when it names one of the fields shared in `common` with another value, which would replace
 * sightline's own (`entity.name`, which links the line to the service's entity). `null` when it
 * repeats the shared value.
 */
function attributeName(
  name: string,
  value: NrValue,
  common: Readonly<Record<string, NrValue>>,
): string | null {
  const shared = Object.hasOwn(common, name) ? common[name] : undefined;
  if (shared !== undefined && shared === value) return null;
  if (shared !== undefined || RESERVED.has(name) || name.startsWith('instrumentation.'))
    return `attr.${name}`;
  return name;
}

/**
 * Turns one sightline log line into a Log API record: the message, time and level keys (as the
 * primary log format named them) become `message`, `timestamp` and `level`; every other field becomes
 * an attribute, nested objects flattened with dots, arrays as JSON text. Fields equal to the `common`
 * block (service, environment, entity, host) are left to it; one naming a field of it with another
 * value is sent as `attr.<name>`, so the line keeps its entity. Two fields that would be one
 * attribute are kept apart (see `keepNamesApart`). A line that is not a JSON object is sent
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
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return { message: withinBlob(line, onCut) };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { message: withinBlob(line, onCut) };
  }
  const record = parsed as Record<string, unknown>;
  const log: NrLog = {};
  const time = toEpochMs(record[keys.timeKey]);
  if (time !== undefined) log.timestamp = time;
  const message = record[keys.messageKey];
  if (message !== undefined && message !== null)
    log.message = String(withinBlob(toNrValue(message, WHOLE), onCut));
  const level = record[keys.levelKey];
  if (typeof level === 'string' || typeof level === 'number') log.level = String(level);

  const fields: Field[] = [];
  for (const key in record) {
    if (key === keys.timeKey || key === keys.messageKey || key === keys.levelKey) continue;
    const value = record[key];
    let name = key;
    // sightline's neutral correlation fields duplicate New Relic's `trace.id`/`span.id`, and keep
    // that name as their own, since it links the line to its trace.
    let from = key;
    if (key === 'trace_id' || key === 'span_id') {
      const nrKey = key === 'trace_id' ? 'trace.id' : 'span.id';
      if (nrKey in record) continue;
      name = nrKey;
      from = nrKey;
    }
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      flatten([name], value as Record<string, unknown>, fields, common);
      continue;
    }
    addField(fields, from, name, value, common);
  }
  // A nested field and a dotted one (`{ user: { id } }` and `user.id`), or a renamed one and one
  // logged under the new name, would be one attribute: the one whose name was made keeps its value
  // under that name and a digest of where it came from.
  const names = fields.map((f) => f.name);
  keepNamesApart(
    fields.map((f) => f.key),
    names,
    '_',
  );
  const budget: Budget = { left: MAX_LOG_ATTRIBUTES - Object.keys(common).length - 3, over: 0 };
  const attributes: Record<string, NrValue> = {};
  for (let i = 0; i < fields.length; i++) {
    if (!take(budget)) continue;
    setField(attributes, cutName(names[i] as string, onCut), withinBlob((fields[i] as Field).value, onCut));
  }
  cuts.leftOut += budget.over;
  for (const _ in attributes) {
    log.attributes = attributes;
    break;
  }
  return log;
}

function addField(
  fields: Field[],
  key: string,
  name: string,
  value: unknown,
  common: Readonly<Record<string, NrValue>>,
): void {
  const v = toNrValue(value, WHOLE);
  if (v === undefined) return;
  const attribute = attributeName(name, v, common);
  if (attribute !== null) fields.push({ key, name: attribute, value: v });
}

/** The fields of a nested object, named by their path joined with dots, down to `MAX_DEPTH` levels. */
function flatten(
  path: readonly string[],
  object: Record<string, unknown>,
  fields: Field[],
  common: Readonly<Record<string, NrValue>>,
): void {
  for (const key in object) {
    const at = [...path, key];
    const value = object[key];
    if (typeof value === 'object' && value !== null && !Array.isArray(value) && at.length < MAX_DEPTH + 1) {
      flatten(at, value as Record<string, unknown>, fields, common);
      continue;
    }
    addField(fields, JSON.stringify(at), at.join('.'), value, common);
  }
}

// Values are converted whole, and cut by `withinBlob` only once they are kept, so a cut is counted
// for what is sent.
const WHOLE = Number.POSITIVE_INFINITY;

/** A value within the 128 KB New Relic keeps; `onCut` hears of a longer one, which is cut. */
function withinBlob<T extends NrValue | undefined>(value: T, onCut: () => void): T | string {
  if (typeof value !== 'string') return value;
  const cut = cutUtf8(value, MAX_LOG_VALUE_BYTES);
  if (cut !== value) onCut();
  return cut;
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
