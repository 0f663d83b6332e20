import type { Attributes } from '@opentelemetry/api';
import {
  addHistogramDeltas,
  cutDistinct,
  DIGEST_CHARS,
  type HistogramPoint,
  type MetricPoint,
  withDigest,
} from '../../src/export/index.js';
import { attributeTag, identityTags } from './tags.js';

/** Datadog `MetricIntakeType` values used here. */
const COUNT = 1;
const GAUGE = 3;
const MAX_NAME = 200;
/** Room for the longest histogram suffix keeps every derived name within 200 characters. */
const MAX_BASE_NAME = MAX_NAME - 8;

/** OpenTelemetry (UCUM) units with a Datadog unit name; anything else is sent without a unit. */
const UNITS: Readonly<Record<string, string>> = {
  ns: 'nanosecond',
  us: 'microsecond',
  ms: 'millisecond',
  s: 'second',
  min: 'minute',
  h: 'hour',
  d: 'day',
  By: 'byte',
  KiBy: 'kibibyte',
  MiBy: 'mebibyte',
  GiBy: 'gibibyte',
  kBy: 'kilobyte',
  MBy: 'megabyte',
  GBy: 'gigabyte',
  bit: 'bit',
  '%': 'percent',
};

/** What every series of this adapter carries, and how histograms are summarised. */
export interface SeriesEncoderOptions {
  /** Sanitised `key:value` tags added to every series (unified service tags first). */
  readonly tags: readonly string[];
  /** How many of `tags` were cut to 200 characters, counted for each point sent with them. */
  readonly tagsCut?: number | undefined;
  /** Percentiles (0..100) sent as `<name>.p<p>` gauges for each histogram. */
  readonly percentiles: readonly number[];
  /**
   * The host resource of every series. Without one, replicas sending the same series at the same
   * second overwrite each other's points.
   */
  readonly hostname?: string | undefined;
  /**
   * Where the series go (the intake's URL and the account, never its key as it is, since this is
   * kept where any code in the process can read it): an encoder made later for the same place and
   * tags, by an `init()` after a `shutdown()`, adds up its counts with what the last one sent in the
   * same second, as one encoder does across its collections. Without it, an encoder knows only
   * what it sent.
   */
  readonly intake?: string | undefined;
}

/** Turns flattened SDK points into `/api/v2/series` items, each one serialised series object. */
export interface SeriesEncoder {
  /**
   * Encodes `points` as the series are taken, so a big collection can be spread over turns of the
   * event loop; points with an unusable name or value are counted through `onInvalid` at the end,
   * names and tags cut to Datadog's 200 characters (one per point sent with it) through `onCut`.
   */
  encode(
    points: readonly MetricPoint[],
    onInvalid: (count: number) => void,
    onCut?: (count: number) => void,
  ): Generator<string, void, undefined>;
}

/**
 * A letter, mark or digit Datadog's names do not take (`北`, `é`, a combining accent, `٣`). Other
 * characters outside ASCII (a dash, an arrow, a no-break space) are punctuation, replaced as `-` is
 * with no digest, so the names dashboards and monitors query (`orders–placed` as `orders_placed`)
 * stay what they were.
 */
const OTHER_LETTER_OR_DIGIT = /(?![A-Za-z0-9])[\p{L}\p{M}\p{N}]/u;

/**
 * Makes a Datadog metric name: ASCII letters, digits, `_` and `.` (others become `_`), starting
 * with a letter, at most `maxChars` (200) characters: a longer one ends in `_` and a digest of the
 * whole, so names that share their first characters stay two metrics, and `onCut` hears of it. A
 * name that loses letters or digits (of another script, accented, or before its first ASCII letter)
 * ends in `_` and a digest of the name as recorded, so `orders.北京` and `orders.上海`, or
 * `4xx.responses` and `5xx.responses`, stay two metrics. `undefined` when nothing usable is left.
 *
 * @example
 * metricName('http.server.request.duration'); // 'http.server.request.duration'
 * metricName('orders-placed');                 // 'orders_placed'
 * metricName('2xx responses');                 // 'xx_responses_9c1e…'
 */
export function metricName(name: string, maxChars = MAX_NAME, onCut?: () => void): string | undefined {
  let n = name;
  let lossy = false;
  if (!/^[A-Za-z][A-Za-z0-9_.]*$/.test(name)) {
    // One `_` per UTF-16 unit, so the name's indexes still hold.
    const replaced = name.replace(/[^A-Za-z0-9_.]/g, '_');
    const start = replaced.search(/[A-Za-z]/);
    if (start === -1) return undefined;
    n = replaced.slice(start);
    lossy = OTHER_LETTER_OR_DIGIT.test(name) || /\d/.test(name.slice(0, start));
  }
  if (lossy) {
    if (n.length > maxChars - 1 - DIGEST_CHARS) onCut?.();
    return withDigest(n, maxChars, '_', name);
  }
  if (n.length <= maxChars) return n;
  onCut?.();
  return cutDistinct(n, maxChars, '_');
}

/**
 * Estimates a percentile from explicit-bucket counts by linear interpolation inside the bucket that
 * holds the rank, bounded by the recorded min and max. Buckets are `(b[i-1], b[i]]`.
 *
 * @example
 * estimatePercentile(50, [10, 100], [0, 10, 0], undefined, undefined); // 55: middle of (10, 100]
 * estimatePercentile(50, [10, 100], [0, 10, 0], 12, 80);               // 46: middle of [12, 80]
 */
export function estimatePercentile(
  p: number,
  boundaries: readonly number[],
  counts: readonly number[],
  min: number | undefined,
  max: number | undefined,
): number | undefined {
  let total = 0;
  for (const c of counts) total += c;
  if (total <= 0) return undefined;
  const rank = (p / 100) * total;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i] ?? 0;
    if (c <= 0 || seen + c < rank) {
      seen += c;
      continue;
    }
    let lower = i === 0 ? (min ?? Math.min(0, boundaries[0] ?? 0)) : (boundaries[i - 1] as number);
    let upper = i < boundaries.length ? (boundaries[i] as number) : (max ?? lower);
    if (min !== undefined && lower < min) lower = min;
    if (max !== undefined && upper > max) upper = max;
    if (upper < lower) upper = lower;
    const value = lower + ((upper - lower) * (rank - seen)) / c;
    return clamp(value, min, max);
  }
  return clamp(max ?? boundaries[boundaries.length - 1] ?? 0, min, max);
}

function clamp(v: number, min: number | undefined, max: number | undefined): number {
  if (min !== undefined && v < min) return min;
  if (max !== undefined && v > max) return max;
  return v;
}

function suffix(p: number): string {
  return `.p${String(p).replace('.', '_')}`;
}

/** A point's own tags, encoded: as sent, and as the set Datadog tells its series apart by. */
interface EncodedTags {
  /** Each tag as a JSON string after a comma, in the attributes' order. */
  readonly own: string;
  /** The same tags sorted, so attributes in another order make the same text. */
  readonly set: string;
  /** How many tags were cut to 200 characters. */
  readonly cut: number;
}

/** Creates the encoder; names are sanitised once and remembered (the memo is bounded). */
export function createSeriesEncoder(options: SeriesEncoderOptions): SeriesEncoder {
  const baseTags = options.tags.map((t) => JSON.stringify(t)).join(',');
  const tagsCut = options.tagsCut ?? 0;
  const resources =
    options.hostname === undefined
      ? ''
      : `,"resources":[{"name":${JSON.stringify(options.hostname)},"type":"host"}]`;
  const percentiles = options.percentiles.map((p) => ({ p, suffix: suffix(p) }));
  const names = new Map<string, MetricName | null>();
  const identity = identityTags(options.tags);

  function nameOf(raw: string): MetricName | undefined {
    let n = names.get(raw);
    if (n === undefined) {
      if (names.size >= 10_000) names.clear();
      let cut = false;
      const name = metricName(raw, MAX_BASE_NAME, () => {
        cut = true;
      });
      n = name === undefined ? null : { name, cut, count: `${name}.count`, sum: `${name}.sum` };
      names.set(raw, n);
    }
    return n ?? undefined;
  }

  // The SDK hands back the attribute objects recorded with, usually the same ones every cycle:
  // remembering their encoded tags (and how many were cut) by identity skips the sanitising on
  // later collections.
  const attributeTags = new WeakMap<Attributes, EncodedTags>();

  function tagsOf(attributes: Attributes): EncodedTags {
    let encoded = attributeTags.get(attributes);
    if (encoded === undefined) {
      const list: string[] = [];
      let cut = 0;
      const onCut = () => {
        cut++;
      };
      for (const key in attributes) {
        const v = attributes[key];
        if (v === undefined || v === null) continue;
        const t = attributeTag(key, Array.isArray(v) ? v.join(',') : v, identity, onCut);
        if (t !== undefined) list.push(`,${JSON.stringify(t)}`);
      }
      const own = list.join('');
      // Datadog reads a series' tags as a set: `{ 'eu zone': 'a', tier: 'b' }` and `{ tier: 'b',
      // eu_zone: 'a' }`, two series to the SDK, are one series to it, so they share one fold.
      const set = list.length < 2 ? own : list.sort().join('');
      encoded = { own, set, cut };
      attributeTags.set(attributes, encoded);
    }
    return encoded;
  }

  // Datadog keeps one point of a series at a second, the last one sent, and collections can share
  // a second (a flush after a periodic collection, a flush per job or per Lambda invocation, a
  // shutdown), as can series the SDK keeps apart that are one once their names and tags are
  // cleaned (`eu west` and `eu_west`), or a counter `x.count` and a histogram `x`'s count: a count
  // sent again at the second of one sent before carries both added up, as the Agent adds up the
  // counts of a flush, instead of overwriting the first, and a histogram's min, max, average and
  // percentiles are those of its points of that second together. Gauges are left alone: the newer
  // value is the one to keep. What was sent before the latest collection's second is forgotten, so
  // this holds about one collection's series.
  // Held by metric name, then by tag set: both are strings made once and kept, whose hashes are
  // kept with them, where one key joining the two would be a new string to hash at every point
  // (about half a microsecond a point).
  const { counts, histograms } =
    options.intake === undefined ? newSent() : sentTo(`${options.intake}\n${baseTags}\n${resources}`);

  /** The count of the Datadog series (`name`, `set`) to send at `ts`: `value`, plus what was sent there. */
  function countAt(name: string, set: string, ts: number, value: number, p: MetricPoint): SentCount {
    const bySet = bySetOf(counts, name);
    let c = bySet.get(set);
    if (c === undefined) {
      c = { ts, value, startTimeMs: p.startTimeMs, timeMs: p.timeMs };
      bySet.set(set, c);
    } else if (c.ts === ts) {
      c.value += value;
      c.timeMs = p.timeMs;
    } else {
      c.ts = ts;
      c.value = value;
      c.startTimeMs = p.startTimeMs;
      c.timeMs = p.timeMs;
    }
    return c;
  }

  function histogramAt(name: string, set: string, ts: number, p: HistogramPoint): HistogramPoint {
    const bySet = bySetOf(histograms, name);
    const before = bySet.get(set);
    const point = before?.ts === ts ? addHistogramDeltas(before.point, p) : p;
    bySet.set(set, { ts, point });
    return point;
  }

  function forgetBefore(ts: number): void {
    forget(counts, ts);
    forget(histograms, ts);
  }

  function withBase(own: string): string {
    return baseTags === '' ? own.slice(1) : baseTags + own;
  }

  function series(
    name: string,
    type: number,
    interval: number | undefined,
    ts: number,
    value: number,
    tags: string,
    unit: string | undefined,
  ): string {
    const iv = interval === undefined ? '' : `,"interval":${interval}`;
    const u = unit === undefined ? '' : `,"unit":"${unit}"`;
    return `{"metric":"${name}","type":${type}${iv},"points":[{"timestamp":${ts},"value":${value}}],"tags":[${tags}]${u}${resources}}`;
  }

  function histogram(
    out: string[],
    named: MetricName,
    p: HistogramPoint,
    ts: number,
    tags: string,
    set: string,
    unit?: string,
  ) {
    const name = named.name;
    let h = p.histogram;
    if (p.temporality === 'delta') {
      const count = countAt(named.count, set, ts, h.count, p);
      out.push(series(named.count, COUNT, intervalOf(count), ts, count.value, tags, undefined));
      if (Number.isFinite(h.sum)) {
        const sum = countAt(named.sum, set, ts, h.sum, p);
        out.push(series(named.sum, COUNT, intervalOf(sum), ts, sum.value, tags, unit));
      }
      h = histogramAt(name, set, ts, p).histogram;
    } else {
      out.push(series(`${name}.count`, GAUGE, undefined, ts, h.count, tags, undefined));
      if (Number.isFinite(h.sum)) out.push(series(`${name}.sum`, GAUGE, undefined, ts, h.sum, tags, unit));
    }
    if (h.count <= 0) return;
    if (h.min !== undefined) out.push(series(`${name}.min`, GAUGE, undefined, ts, h.min, tags, unit));
    if (h.max !== undefined) out.push(series(`${name}.max`, GAUGE, undefined, ts, h.max, tags, unit));
    const avg = h.sum / h.count;
    if (Number.isFinite(avg)) out.push(series(`${name}.avg`, GAUGE, undefined, ts, avg, tags, unit));
    for (const { p: q, suffix: s } of percentiles) {
      const v = estimatePercentile(q, h.buckets.boundaries, h.buckets.counts, h.min, h.max);
      if (v !== undefined && Number.isFinite(v))
        out.push(series(`${name}${s}`, GAUGE, undefined, ts, v, tags, unit));
    }
  }

  return {
    *encode(points, onInvalid, onCut) {
      // The series of one point (a histogram makes several), handed out before the next point.
      const out: string[] = [];
      let invalid = 0;
      let cut = 0;
      let earliest = Number.POSITIVE_INFINITY;
      for (const p of points) {
        yield* out;
        out.length = 0;
        const named = nameOf(p.name);
        if (named === undefined) {
          invalid++;
          continue;
        }
        const name = named.name;
        const cutName = named.cut ? 1 : 0;
        const ts = Math.floor(p.timeMs / 1000);
        if (ts < earliest) earliest = ts;
        // Own keys only: a unit named as an Object method (`toString`) has no Datadog unit.
        const unit = Object.hasOwn(UNITS, p.unit) ? UNITS[p.unit] : undefined;
        const encoded = tagsOf(p.attributes);
        const tags = withBase(encoded.own);
        if (p.kind === 'histogram') {
          cut += encoded.cut + cutName + tagsCut;
          histogram(out, named, p, ts, tags, encoded.set, unit);
          continue;
        }
        if (!Number.isFinite(p.value)) {
          invalid++;
          continue;
        }
        cut += encoded.cut + cutName + tagsCut;
        // Monotonic sums arrive as deltas (the exporter asks for them) and become counts; up-down
        // counters stay cumulative, so their value is the current level: a gauge.
        if (p.monotonic && p.temporality === 'delta') {
          const c = countAt(name, encoded.set, ts, p.value, p);
          out.push(series(name, COUNT, intervalOf(c), ts, c.value, tags, unit));
        } else out.push(series(name, GAUGE, undefined, ts, p.value, tags, unit));
      }
      yield* out;
      // Later collections fall in this second or after it: a point sent before it stays as it is.
      if (earliest !== Number.POSITIVE_INFINITY) forgetBefore(earliest);
      if (invalid > 0) onInvalid(invalid);
      if (cut > 0) onCut?.(cut);
    },
  };
}

/** A Datadog metric name, with the names of a histogram's count and sum made once. */
interface MetricName {
  readonly name: string;
  /** Whether it was cut to fit 200 characters. */
  readonly cut: boolean;
  readonly count: string;
  readonly sum: string;
}

function bySetOf<V>(by: Map<string, Map<string, V>>, name: string): Map<string, V> {
  let bySet = by.get(name);
  if (bySet === undefined) {
    bySet = new Map();
    by.set(name, bySet);
  }
  return bySet;
}

/** Drops what was sent of each series before `ts`, and the names left with none. */
function forget(by: Map<string, Map<string, { readonly ts: number }>>, ts: number): void {
  for (const [name, bySet] of by) {
    for (const [set, sent] of bySet) if (sent.ts < ts) bySet.delete(set);
    if (bySet.size === 0) by.delete(name);
  }
}

/** What was sent of each series in the latest collection's second, by metric name, then tag set. */
interface Sent {
  readonly counts: Map<string, Map<string, SentCount>>;
  readonly histograms: Map<string, Map<string, { readonly ts: number; readonly point: HistogramPoint }>>;
}

/**
 * What was sent to each place under each set of tags, kept past the instance that sent it: the
 * next instance may send in the same second, where Datadog would keep its points over the last
 * one's. Each holds about one collection's series; places are few (one per configuration used).
 * On a global symbol, as the running instance is: the next one may be started by the package's
 * other copy (the CommonJS build beside the ESM one, a test runner's fresh module registry).
 */
const SENT = Symbol.for('sightline.datadog.sentSeries.v1');

function sentTo(key: string): Sent {
  const holder = globalThis as unknown as Record<symbol, Map<string, Sent> | undefined>;
  holder[SENT] ??= new Map();
  const byIntake = holder[SENT];
  let sent = byIntake.get(key);
  if (sent === undefined) {
    if (byIntake.size >= 16) byIntake.clear();
    sent = newSent();
    byIntake.set(key, sent);
  }
  return sent;
}

function newSent(): Sent {
  return { counts: new Map(), histograms: new Map() };
}

/** A count sent of a Datadog series: its second, its value and the window that value covers. */
interface SentCount {
  ts: number;
  value: number;
  startTimeMs: number;
  timeMs: number;
}

/** The seconds a delta covers, at least 1 (Datadog turns a count into a rate with it). */
function intervalOf(p: { readonly startTimeMs: number; readonly timeMs: number }): number {
  return Math.max(1, Math.round((p.timeMs - p.startTimeMs) / 1000));
}

/** Wraps series items into one `/api/v2/series` body. */
export function seriesBody(items: readonly string[]): string {
  return `{"series":[${items.join(',')}]}`;
}

/** The oldest point `/api/v2/series` takes, and the furthest ahead, in seconds. */
const MAX_POINT_AGE_S = 3600;
const MAX_POINT_AHEAD_S = 600;
const TIMESTAMP = '"points":[{"timestamp":';

/**
 * Whether Datadog would refuse or drop the point of a series item made by the encoder (its one
 * point's timestamp leads the item) if sent at `nowMs`: more than an hour old, or more than ten
 * minutes ahead.
 *
 * @example
 * pointExpired('{"metric":"m","type":3,"points":[{"timestamp":1700000000,"value":1}],"tags":[]}', 1700003601000); // true
 */
export function pointExpired(series: string, nowMs: number): boolean {
  const at = series.indexOf(TIMESTAMP);
  if (at < 0) return false;
  const ts = Number.parseInt(series.slice(at + TIMESTAMP.length, at + TIMESTAMP.length + 16), 10);
  const now = nowMs / 1000;
  return ts < now - MAX_POINT_AGE_S || ts > now + MAX_POINT_AHEAD_S;
}
