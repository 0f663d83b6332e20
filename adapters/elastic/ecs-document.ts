/**
 * Building Elasticsearch documents without mapping conflicts inside one document.
 *
 * Elasticsearch expands dotted keys into objects (`"service.name"` is `service: { name }`), so a
 * line holding both a string `service` and `service.name` cannot be indexed: one field would be a
 * string and an object at once. Documents are therefore built as nested objects, path by path, and
 * a value that would collide with a field already there is moved to `labels` (ECS's flat map of
 * scalars) instead of being lost or failing the whole document. Root names starting with `_` count as
 * taken: Elasticsearch keeps them for metadata (`_id`, `_source`, ...) and refuses a document that
 * carries one, which a logged MongoDB document would.
 */

import { keepNamesApart, setField } from '../../src/export/index.js';

/** A JSON document under construction. */
export type Doc = Record<string, unknown>;

/** The ECS version the documents and lines follow (the one `@elastic/ecs-pino-format` 1.5 writes). */
export const ECS_VERSION = '8.10.0';

/** `JSON.rawJSON` (Node 22 and later): a value `JSON.stringify` writes as the text given. */
const rawJSON = (JSON as unknown as { rawJSON?: (text: string) => unknown }).rawJSON;

/**
 * A recorded value as a floating-point JSON number: `3.0`, not `3`. Dynamic mapping types a field
 * by the first document that has it, and `3` would make it a `long`, whose later fractions
 * Elasticsearch cuts (`0.25` is stored as `0`). For measured values, not counts.
 */
export function asFloat(value: number): unknown {
  // Beyond 1e21 JavaScript writes an exponent (`1e+21`), which is a floating-point number already.
  return rawJSON && Number.isInteger(value) && Math.abs(value) < 1e21 ? rawJSON(`${value}.0`) : value;
}

/** Deeper values are stored as JSON text: Elasticsearch refuses objects nested beyond 20 levels. */
const MAX_DEPTH = 16;

/**
 * Root fields ECS makes objects: those log documents hold, some only now and then (`trace` and `span`
 * inside a span, `error` with an `err`), and ECS's other field sets, which other writers to a logs
 * data stream fill (Elastic Agent's `agent.*`, ecs-pino-format's `http.*`, `url.*` and `process.pid`)
 * and an ECS index template maps as objects. A data stream's mapping is set by its template or the
 * documents before: a line's plain `error: 'timeout'` or `url: '/orders'` would make it refuse every
 * later `error.message` or `url.path`, or be refused itself.
 */
export const OBJECT_ROOTS: ReadonlySet<string> = new Set([
  'ecs',
  'service',
  'host',
  'event',
  'data_stream',
  'log',
  'trace',
  'span',
  'transaction',
  'error',
  'agent',
  'client',
  'cloud',
  'container',
  'destination',
  'device',
  'dll',
  'dns',
  'email',
  'faas',
  'file',
  'group',
  'http',
  'network',
  'observer',
  'orchestrator',
  'organization',
  'package',
  'process',
  'registry',
  'related',
  'rule',
  'server',
  'source',
  'threat',
  'tls',
  'url',
  'user',
  'user_agent',
  'vulnerability',
]);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A field of the document itself, never one it inherits: under a key named `__proto__` (a logged
 * query string's `?__proto__.polluted=1`), reading through would reach Object.prototype.
 */
export function fieldOf(doc: Doc, key: string): unknown {
  return Object.hasOwn(doc, key) ? doc[key] : undefined;
}

/** Splits a key on dots, dropping empty segments (`a..b`, `.a`), which Elasticsearch refuses. */
export function pathOf(key: string): string[] {
  const segments = key.split('.').filter((s) => s.trim() !== '');
  return segments.length > 0 ? segments : ['_'];
}

/** True for a root field name Elasticsearch may keep for metadata. */
function isReservedRoot(name: string | undefined): boolean {
  return name?.startsWith('_') === true;
}

/**
 * Sets `value` at `path`, creating objects on the way. Returns false, leaving the document as it was,
 * when something is in the way: a reserved root name (starting with `_`), a scalar where an object is
 * needed, or any value already at the leaf.
 *
 * @example
 * const doc = {};
 * setPath(doc, ['service', 'name'], 'checkout'); // true: { service: { name: 'checkout' } }
 * setPath(doc, ['service'], 'billing');          // false: service is an object
 */
export function setPath(doc: Doc, path: readonly string[], value: unknown): boolean {
  if (isReservedRoot(path[0])) return false;
  let node: Doc = doc;
  const last = path.length - 1;
  for (let i = 0; i < last; i++) {
    const segment = path[i] as string;
    const next = fieldOf(node, segment);
    if (next === undefined) {
      for (let j = i; j < last; j++) {
        const child: Doc = {};
        setField(node, path[j] as string, child);
        node = child;
      }
      break;
    }
    if (!isPlainObject(next)) return false;
    node = next;
  }
  const leaf = path[last] as string;
  if (fieldOf(node, leaf) !== undefined) return false;
  setField(node, leaf, value);
  return true;
}

/** The ECS `labels` key for a field name: `.`, `*` and `\` become `_`. */
export function labelKey(key: string): string {
  return key.replace(/[.*\\]/g, '_');
}

/** A value as ECS `labels` take it: scalars (and arrays of them) as they are, anything else as JSON text. */
export function labelValue(
  value: unknown,
): string | number | boolean | (string | number | boolean)[] | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value) && value.every((v) => ['string', 'number', 'boolean'].includes(typeof v)))
    return value as (string | number | boolean)[];
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

/**
 * Merges one field of a log line (any key, any JSON value) into a document: objects are walked so
 * dotted keys inside them expand too, and a leaf that collides, or a plain value at the root of an
 * ECS object such as `error`, is put in `labels` under its full path (dots as `_`). Values nested too
 * deep are kept as JSON text.
 */
export function mergeField(doc: Doc, labels: Doc, key: string, value: unknown): void {
  mergeAt(doc, labels, pathOf(key), value, 0);
}

function mergeAt(doc: Doc, labels: Doc, path: string[], value: unknown, depth: number): void {
  if (isPlainObject(value) && depth < MAX_DEPTH) {
    let empty = true;
    for (const key in value) {
      empty = false;
      mergeAt(doc, labels, [...path, ...pathOf(key)], value[key], depth + 1);
    }
    if (!empty) return;
  }
  const leaf = isPlainObject(value) && depth >= MAX_DEPTH ? JSON.stringify(value) : value;
  const plainAtObjectRoot = path.length === 1 && OBJECT_ROOTS.has(path[0] as string) && !isPlainObject(leaf);
  if (plainAtObjectRoot || !setPath(doc, path, leaf)) addLabel(labels, labelKey(path.join('.')), leaf);
}

/**
 * Merges a line's own `labels` field (`path` is what follows `labels` in its key) into ECS labels,
 * which are flat: nested keys are joined with `_`, other values kept as `labelValue` gives them, and
 * a bare scalar is the label `labels`.
 *
 * @example
 * mergeLabels(labels, [], { 'http.route': '/a', nested: { k: 1 } }); // { http_route: '/a', nested_k: 1 }
 */
export function mergeLabels(labels: Doc, path: string[], value: unknown, depth = 0): void {
  if (isPlainObject(value) && depth < MAX_DEPTH) {
    for (const key in value) mergeLabels(labels, [...path, ...pathOf(key)], value[key], depth + 1);
    return;
  }
  addLabel(labels, path.length > 0 ? labelKey(path.join('.')) : 'labels', value);
}

/** Sets a label unless one of that name is already there; values `labelValue` cannot write are left out. */
function addLabel(labels: Doc, name: string, value: unknown): void {
  const label = labelValue(value);
  if (label !== undefined && fieldOf(labels, name) === undefined) setField(labels, name, label);
}

/**
 * Copies attributes (metric series, anomaly events) into ECS `labels`. Two names that come out the
 * same (`http.route` and `http_route`) stay two labels, the one whose name changed ending in `_` and
 * a digest of the name it was recorded with, so neither value overwrites the other and the series
 * they tell apart stay apart.
 */
export function toLabels(attributes: Readonly<Record<string, unknown>>): Doc {
  const labels: Doc = {};
  for (const key in attributes) {
    const value = labelValue(attributes[key]);
    if (value === undefined) continue;
    const name = labelKey(key);
    if (fieldOf(labels, name) !== undefined) return labelsApart(attributes);
    setField(labels, name, value);
  }
  return labels;
}

/** {@link toLabels} for attributes two of whose names come out the same. */
function labelsApart(attributes: Readonly<Record<string, unknown>>): Doc {
  const keys: string[] = [];
  const names: (string | undefined)[] = [];
  for (const key in attributes) {
    if (labelValue(attributes[key]) === undefined) continue;
    keys.push(key);
    names.push(labelKey(key));
  }
  keepNamesApart(keys, names, '_');
  const labels: Doc = {};
  for (let i = 0; i < keys.length; i++)
    setField(labels, names[i] as string, labelValue(attributes[keys[i] as string]));
  return labels;
}
