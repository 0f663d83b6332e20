import { type MetricPoint, setField } from '../../src/export/index.js';
import { type DimensionList, type LeftOutReason, seriesDimensions } from './dimensions.js';
import { histogramSamples } from './histogram.js';
import { metricName } from './metric-name.js';
import { type CloudWatchUnit, toCloudWatchUnit } from './units.js';

/** Most metrics in one EMF directive and most values in one metric array (EMF spec). */
export const EMF_MAX_METRICS = 100;
export const EMF_MAX_VALUES = 100;
const MAX_NAME_LENGTH = 1024;

/** What the EMF encoder needs to know besides the points. */
export interface EmfSettings {
  readonly namespace: string;
  /** Dimensions on every metric (Service, Environment, the user's), before the series' attributes. */
  readonly dimensions: DimensionList;
  /** 1 for high-resolution metrics; 60 (the default) is left out of the documents. */
  readonly storageResolution: 1 | 60;
  /** Most sample values one histogram point turns into (see `histogramSamples`). */
  readonly maxHistogramValues: number;
  /**
   * The longest line, its newline included, the documents' writer puts in whole between other
   * processes' writes (the atomic size of a stdout pipe that `node:cluster` workers or a sidecar
   * share); undefined when any length is.
   */
  readonly maxLineBytes?: number | undefined;
}

/** One metric of a document: its name, unit and every value it carries this collection. */
export interface EmfMetric {
  readonly name: string;
  readonly unit: CloudWatchUnit;
  readonly values: number[];
  /** How many points this metric stands for in this piece (accounting only; 0 for continuation pieces). */
  readonly points?: number;
}

/** One EMF document and how many points it delivers. */
export interface EmfDocument {
  /** The JSON line, without the trailing newline. */
  readonly line: string;
  readonly points: number;
}

interface Group {
  readonly time: number;
  readonly dimensions: DimensionList;
  readonly metrics: Map<string, { unit: CloudWatchUnit; values: number[]; points: number }>;
}

/**
 * Turns one collection's points into EMF documents, exactly to the spec, a piece at a time so a big
 * collection can be spread over turns of the event loop: every point is added (points sharing a
 * timestamp and a dimension set share documents, whatever their metric), then the documents are
 * built one by one. Each document holds at most 100 metrics with at most 100 values each, and more
 * documents are written when a group has more, or when a document would be longer than
 * `maxLineBytes` and its parts would not. Counters carry their delta, gauges and up-down
 * counters their value, histograms values standing for their observations (see `bucketValueLists`).
 *
 * @example
 * const encoder = new EmfEncoder({ namespace: 'Shop', dimensions: [['Service', 'shop']],
 *   storageResolution: 60, maxHistogramValues: 100 });
 * for (const p of points) encoder.add(p);
 * for (const d of encoder.documents()) process.stdout.write(`${d.line}\n`);
 */
export class EmfEncoder {
  private readonly groups = new Map<string, Group>();
  /** Points left out so far: non-finite values, empty names, or names clashing with a dimension or `_aws`. */
  invalid = 0;
  /** Attributes left out of dimension sets, by reason; `cut` also counts metric names cut. */
  readonly leftOut: Record<LeftOutReason, number> = { limit: 0, reserved: 0, unusable: 0, cut: 0 };
  private readonly onLeftOut = (n: number, reason: LeftOutReason) => {
    this.leftOut[reason] += n;
  };

  constructor(private readonly settings: EmfSettings) {}

  add(p: MetricPoint): void {
    const values = pointValues(p, this.settings.maxHistogramValues);
    if (values === undefined) {
      this.invalid++;
      return;
    }
    if (values.length === 0) return;
    let cutName = 0;
    const name = metricName(p.name, MAX_NAME_LENGTH, () => {
      cutName = 1;
    });
    const dimensions = seriesDimensions(this.settings.dimensions, p.attributes, this.onLeftOut);
    // A nameless metric, which the SDK lets through, would make the whole document invalid.
    if (name === '' || name === '_aws' || dimensions.some(([k]) => k === name)) {
      this.invalid++;
      return;
    }
    this.leftOut.cut += cutName;
    const time = Math.round(p.timeMs);
    const key = `${time}\u0000${JSON.stringify(dimensions)}`;
    let group = this.groups.get(key);
    if (group === undefined) {
      group = { time, dimensions, metrics: new Map() };
      this.groups.set(key, group);
    }
    const existing = group.metrics.get(name);
    if (existing) {
      existing.values.push(...values);
      existing.points++;
    } else group.metrics.set(name, { unit: toCloudWatchUnit(p.unit, p.monotonic), values, points: 1 });
  }

  /** The documents of the points added, built as they are taken. */
  *documents(): Generator<EmfDocument, void, undefined> {
    for (const group of this.groups.values()) {
      const metrics = [...group.metrics].map(([name, m]) => ({ name, ...m }));
      for (const piece of splitIntoDocuments(metrics)) {
        // Parts of a piece too long to be written whole, taken in order.
        const pieces = [piece];
        for (let doc = pieces.pop(); doc !== undefined; doc = pieces.pop()) {
          const line = emfDocument(this.settings, group.time, group.dimensions, doc);
          const parts =
            this.fits(line) || !this.splits(group, doc)
              ? undefined
              : divide(doc, this.roomBeside(group, doc), this.settings.storageResolution);
          if (parts !== undefined) {
            for (let i = parts.length - 1; i >= 0; i--) pieces.push(parts[i]!);
            continue;
          }
          let points = 0;
          for (const m of doc) points += m.points ?? 0;
          yield { line, points };
        }
      }
    }
  }

  private fits(line: string): boolean {
    const max = this.settings.maxLineBytes;
    return max === undefined || Buffer.byteLength(line) < max;
  }

  /**
   * The bytes a part of `doc` has for its metrics, or its one metric's values, beside what each part
   * carries again: the metadata and dimensions, and the one metric's name, and the newline. Parts
   * counted from the document's length alone were each too long where those are a good share of a
   * line (dimensions of 2,000 bytes in lines of 4,096), and were each cut in two again.
   */
  private roomBeside(group: Group, doc: readonly EmfMetric[]): number {
    const first = doc[0];
    const shared = doc.length === 1 && first !== undefined ? [{ ...first, values: [] }] : [];
    const line = emfDocument(this.settings, group.time, group.dimensions, shared);
    return (this.settings.maxLineBytes ?? Number.POSITIVE_INFINITY) - Buffer.byteLength(line) - 1;
  }

  /**
   * Whether a part of `doc` can be written whole: one value of its metric with the shortest name.
   * Where the dimensions leave no room for it, every part would be as liable to be cut as the whole,
   * each carrying the dimensions again (a histogram's 100 values, 100 lines of them).
   */
  private splits(group: Group, doc: readonly EmfMetric[]): boolean {
    let shortest = doc[0];
    for (const m of doc) if (shortest !== undefined && m.name.length < shortest.name.length) shortest = m;
    if (shortest === undefined) return false;
    const one = [{ ...shortest, values: shortest.values.slice(0, 1) }];
    return this.fits(emfDocument(this.settings, group.time, group.dimensions, one));
  }
}

/**
 * A document's metrics in parts, or its one metric's values, each taking at most `room` bytes where
 * one metric or value alone does not: a line longer than a pipe takes whole could have another
 * process's write land inside it, and CloudWatch would read neither part. A part found too long
 * still, its bytes told short, is cut again. Documents holding a metric's values between them count
 * each value once. Undefined for one value, which its dimensions alone make too long.
 */
function divide(doc: readonly EmfMetric[], room: number, resolution: 1 | 60): EmfMetric[][] | undefined {
  if (doc.length > 1) return pack(doc, room, (m) => metricBytes(m, resolution));
  const metric = doc[0];
  if (metric === undefined || metric.values.length < 2) return undefined;
  const runs = pack(metric.values, room, (v) => String(v).length + 1);
  return runs.map((values, i) => [{ ...metric, values, ...(i > 0 ? { points: 0 } : {}) }]);
}

/** `items` in runs, in order, of at most `room` bytes each by `bytes`; two runs at least. */
function pack<T>(items: readonly T[], room: number, bytes: (item: T) => number): T[][] {
  const runs: T[][] = [];
  let run: T[] = [];
  let taken = 0;
  for (const item of items) {
    const size = bytes(item);
    if (run.length > 0 && taken + size > room) {
      runs.push(run);
      run = [];
      taken = 0;
    }
    run.push(item);
    taken += size;
  }
  runs.push(run);
  if (runs.length > 1) return runs;
  const mid = Math.ceil(items.length / 2);
  return [items.slice(0, mid), items.slice(mid)];
}

/**
 * The bytes a metric adds to a document: its definition in the metadata and its member, with the
 * commas beside them.
 */
function metricBytes(m: EmfMetric, resolution: 1 | 60): number {
  const name = Buffer.byteLength(JSON.stringify(m.name));
  // {"Name":…,"Unit":…} and ,…: with the comma after the definition.
  const fixed = 20 + 2 * name + JSON.stringify(m.unit).length + (resolution === 1 ? 22 : 0);
  if (m.values.length === 1) return fixed + String(m.values[0]).length;
  let values = 1;
  for (const v of m.values) values += String(v).length + 1;
  return fixed + values;
}

/**
 * Cuts a group's metrics into document-sized pieces: at most 100 metrics per piece and 100 values
 * per metric; a metric with more values continues in the next pieces. A name appears at most once
 * per piece, since a document has one member per name.
 *
 * @example
 * splitIntoDocuments([{ name: 'a', unit: 'Count', values: new Array(250).fill(1) }]).length; // 3
 */
export function splitIntoDocuments(metrics: readonly EmfMetric[]): EmfMetric[][] {
  const out: EmfMetric[][] = [];
  let queue: { metric: EmfMetric; offset: number }[] = metrics.map((metric) => ({ metric, offset: 0 }));
  while (queue.length > 0) {
    const taken = queue.slice(0, EMF_MAX_METRICS);
    const later = queue.slice(EMF_MAX_METRICS);
    const doc: EmfMetric[] = [];
    const leftovers: typeof queue = [];
    for (const entry of taken) {
      const end = entry.offset + EMF_MAX_VALUES;
      doc.push({
        ...entry.metric,
        values: entry.metric.values.slice(entry.offset, end),
        points: entry.offset === 0 ? (entry.metric.points ?? 0) : 0,
      });
      if (end < entry.metric.values.length) leftovers.push({ metric: entry.metric, offset: end });
    }
    out.push(doc);
    queue = later.concat(leftovers);
  }
  return out;
}

/**
 * One EMF document as a JSON line: the `_aws` metadata with one directive whose single dimension
 * set lists every dimension, the dimensions as string members, the metrics as number or
 * number-array members. `extra` members (log fields) go last and never replace a target member.
 *
 * @example
 * emfDocument(settings, 1700000000000, [['Service', 'shop']], [{ name: 'orders', unit: 'Count', values: [3] }]);
 * // '{"_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[...]},"Service":"shop","orders":3}'
 */
export function emfDocument(
  settings: Pick<EmfSettings, 'namespace' | 'storageResolution'>,
  time: number,
  dimensions: DimensionList,
  metrics: readonly EmfMetric[],
  extra?: Readonly<Record<string, unknown>>,
): string {
  const definitions = metrics.map((m) =>
    settings.storageResolution === 1
      ? { Name: m.name, Unit: m.unit, StorageResolution: 1 }
      : { Name: m.name, Unit: m.unit },
  );
  const doc: Record<string, unknown> = {
    _aws: {
      Timestamp: Math.round(time),
      CloudWatchMetrics: [
        { Namespace: settings.namespace, Dimensions: [dimensions.map(([k]) => k)], Metrics: definitions },
      ],
    },
  };
  for (const [k, v] of dimensions) setField(doc, k, v);
  for (const m of metrics) setField(doc, m.name, m.values.length === 1 ? m.values[0] : m.values);
  if (extra) for (const [k, v] of Object.entries(extra)) if (!Object.hasOwn(doc, k)) setField(doc, k, v);
  return JSON.stringify(doc);
}

/** The values a point contributes; `undefined` when it cannot be represented (non-finite). */
function pointValues(p: MetricPoint, maxHistogramValues: number): number[] | undefined {
  if (p.kind !== 'histogram') return Number.isFinite(p.value) ? [p.value] : undefined;
  const h = p.histogram;
  if (h.count === 0) return [];
  if (!Number.isFinite(h.sum)) return undefined;
  const values = histogramSamples(h, maxHistogramValues);
  return values.every(Number.isFinite) ? values : undefined;
}
