/**
 * Data stream names: `<type>-<dataset>-<namespace>`. Elasticsearch index names are lowercase and
 * refuse `\ / * ? " < > | , #`, spaces and `:`; the dataset and the namespace must not contain `-`
 * (it separates the three parts) and are at most 100 characters each.
 */
export const MAX_DATA_STREAM_PART = 100;

/** Characters a dataset or namespace may hold once cleaned: lowercase ASCII letters, digits, `.` and `_`. */
const VALID_PART = /^[a-z0-9_][a-z0-9._]*$/;

/**
 * Turns any text (a service name, an environment) into a valid dataset or namespace: lowercased,
 * every other character (`-`, space, `/`, `:`, non-ASCII...) replaced by `_`, runs of `_` collapsed,
 * `_` and `.` trimmed from both ends, cut at 100 characters; `fallback` when nothing is left.
 *
 * @example
 * cleanDataStreamPart('Checkout-API', 'generic'); // 'checkout_api'
 * cleanDataStreamPart('', 'default');             // 'default'
 */
export function cleanDataStreamPart(text: string, fallback: string): string {
  let out = text
    .toLowerCase()
    .replace(/[^a-z0-9._]/g, '_')
    .replace(/_+/g, '_')
    .replace(/^[_.]+|[_.]+$/g, '');
  if (out.length > MAX_DATA_STREAM_PART) out = out.slice(0, MAX_DATA_STREAM_PART).replace(/[_.]+$/, '');
  return out === '' ? fallback : out;
}

/** True when `part` is usable as is as a dataset or namespace. */
export function isValidDataStreamPart(part: string): boolean {
  return part.length <= MAX_DATA_STREAM_PART && VALID_PART.test(part) && !part.endsWith('.');
}

/** The three parts of one data stream and its name. */
export interface DataStream {
  readonly type: 'logs' | 'metrics';
  readonly dataset: string;
  readonly namespace: string;
  /** `<type>-<dataset>-<namespace>`, the `_index` of every `create` action. */
  readonly name: string;
}

/** Builds a data stream from parts that are already valid. */
export function dataStream(type: DataStream['type'], dataset: string, namespace: string): DataStream {
  return { type, dataset, namespace, name: `${type}-${dataset}-${namespace}` };
}
