import {
  AggregationTemporality,
  InstrumentType,
  type MetricProducer,
  MetricReader,
  type PushMetricExporter,
  type MetricData,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import cluster from 'node:cluster';
import type { Diag } from '../diag/diag.js';
import { boundedCumulative, collectionLimit, OVERFLOW } from '../export/bounded-cumulative.js';
import { flattenResourceMetrics } from '../export/metric-points.js';
import type { DropCounter } from '../internal/drops.js';
import { realNow } from '../internal/node-timers.js';
import { StreamingDetector } from './detector.js';
import type { AnomalyEvent } from './event.js';
import {
  busyGoneSilent,
  type EpisodeState,
  endIncident,
  isLevel,
  judge,
  newEpisodeState,
  type Verdict,
} from './engine-episodes.js';
import { RecurringIncidents } from './engine-recurring.js';
import { IdleHours, NOT_IDLE } from './engine-idle.js';
import { renamedRates } from './engine-renames.js';
import {
  detectorInput,
  drainedWith,
  errorShare,
  extractSamples,
  HTTP_ERROR_RATE,
  HTTP_REQUEST_RATE,
  inSeriesUnit,
  observedAs,
  type SeriesSample,
  SlowestAnswer,
  seriesKey,
  shownUnit,
} from './engine-series.js';
import { explain } from './explain.js';
import type { DetectorOptions } from './types.js';
import { processTimeZone, UTC, type WallClock, wallClock } from './wall-clock.js';

export interface EngineOptions {
  intervalMs: number;
  maxSeries: number;
  sensitivity: DetectorOptions['sensitivity'];
  /** Points before the first alert; default the detector's. */
  warmup?: number;
  /** IANA zone whose time of day and week the detectors' profiles follow; default the process's. */
  timeZone?: string;
  /** Cycles an episode must stay outside its band before an event; default per series (drifts: 1; outages: two silent cycles). */
  confirmCycles?: number;
  watchHttp: boolean;
  /** Names of metrics created with `detect: true` (read each cycle: instruments come and go). */
  detected: ReadonlySet<string>;
  service: string;
  environment: string;
  emit(event: AnomalyEvent): void;
  diag: Diag;
  /** Counts the new series refused while all `maxSeries` watched ones are live, out or drained. */
  drops: DropCounter;
  now?: () => number;
  /** Metrics recorded outside the SDK (the HTTP durations), collected with the SDK's each cycle. */
  metricProducers?: MetricProducer[];
  /**
   * Series per watched instrument, the first seen; the rest fold into the overflow series.
   * Default 2,000.
   */
  cardinalityLimit?: number;
  /**
   * Called as this cluster worker's disconnect pauses the detection: the work its worker threads
   * are handed leaves with its traffic, and no signal tells them.
   */
  onDisconnect?: () => void;
}

const LEVELS: ReadonlySet<InstrumentType> = new Set([
  InstrumentType.UP_DOWN_COUNTER,
  InstrumentType.OBSERVABLE_UP_DOWN_COUNTER,
  InstrumentType.GAUGE,
]);

/**
 * Up-down counters are levels (queue depth): their value, not their change, is the signal. Their
 * deltas are summed here, and a gauge keeps its last value through the cycles it is not recorded
 * in (one set as its value changes, `replicas.ready`), as every exporter sends both and the
 * backends chart them; every other metric passes as collected. Each keeps the first series seen
 * up to `limit` per instrument for good, each with a detector that learns its history, even those
 * idle a while, which a delta exporter lets go; the rest are in the overflow series.
 */
function asExported(limit: number): {
  fold: (metrics: ResourceMetrics) => ResourceMetrics;
  /** The reader's limit per instrument type, with room for the series `fold` keeps apart. */
  limitOf: (type: InstrumentType) => number;
} {
  let summed: ResourceMetrics | undefined;
  const inner: PushMetricExporter = {
    export(metrics, done) {
      summed = metrics;
      done({ code: 0 });
    },
    selectAggregationTemporality: (type) =>
      LEVELS.has(type) ? AggregationTemporality.CUMULATIVE : AggregationTemporality.DELTA,
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
  const sum = boundedCumulative(inner, limit, { keepIdle: true });
  return {
    fold: (metrics) => {
      summed = undefined;
      sum.export(metrics, () => {});
      return summed ?? metrics;
    },
    limitOf: collectionLimit(inner, limit),
  };
}

/**
 * The keys of the watched gauges' and up-down counters' series recorded in a cycle's collection, as
 * `exported` has them: a series past the cardinality limit is recorded as the overflow series it is
 * folded into, which is no value held while any of its series is recorded.
 */
function recordedLevels(
  collected: ResourceMetrics,
  exported: ResourceMetrics,
  detected: ReadonlySet<string>,
): Set<string> {
  const keys = new Set<string>();
  const watched = (m: MetricData) => {
    const type = (m.descriptor as { type?: InstrumentType }).type;
    return (
      (type === InstrumentType.GAUGE || type === InstrumentType.UP_DOWN_COUNTER) &&
      detected.has(m.descriptor.name)
    );
  };
  const kept = new Set<string>();
  for (const sm of exported.scopeMetrics) {
    for (const m of sm.metrics) {
      if (watched(m)) for (const dp of m.dataPoints) kept.add(seriesKey(m.descriptor.name, dp.attributes));
    }
  }
  for (const sm of collected.scopeMetrics) {
    for (const m of sm.metrics) {
      if (!watched(m)) continue;
      for (const dp of m.dataPoints) {
        const key = seriesKey(m.descriptor.name, dp.attributes);
        keys.add(kept.has(key) ? key : seriesKey(m.descriptor.name, OVERFLOW));
      }
    }
  }
  return keys;
}

/** Cycles after an unconfirmed blip before the detector may open a new episode. */
const ENGINE_COOLDOWN = 3;

/**
 * Cycles without a value after which a series that is not fed zeros no longer counts as in its
 * episode, nor has its band exported: nothing judges it until it reports again, and an observable
 * gauge whose pool was closed or a route nobody calls any more would otherwise read as an incident,
 * its last value charted as current, until it is evicted.
 */
const STALE_CYCLES = 3;

/**
 * How late, in intervals, a cycle may come before its counts are taken as partial: a process frozen
 * (docker pause, SIGSTOP, a VM or laptop asleep) or an event loop blocked past a cycle's time
 * recorded nothing for part of the cycle, which would read as traffic falling. At least a second,
 * so a loaded machine's late timers at short intervals are still cycles.
 */
const STALLED_LATE_INTERVALS = 0.5;
const STALLED_LATE_MIN_MS = 1000;

/**
 * How long after a signal the service handles a process that is still running is taken to have
 * stayed: the orchestrators give a drain 10 to 120 s by default (Kubernetes and ECS 30 s, systemd
 * 90 s) before they kill it. At least two cycles, the one the signal fell in and a whole one.
 */
const DRAIN_MS = 5 * 60_000;
const DRAIN_MIN_CYCLES = 2;

/**
 * How long after the signal a process whose traffic is still away is taken to be draining: a grace
 * period set for long-lived connections runs to a quarter hour, their last requests a few minutes
 * more, and a drain that has not ended by then hung, or the traffic left for another reason. Past
 * it, the process is judged again: an outage that starts in the pause after a signal the process
 * ignores looks like a drain's traffic tapering off, and is reported this late.
 */
const DRAIN_MAX_MS = 20 * 60_000;

/**
 * How long a busy rate gone silent keeps its detector with every watched series taken: long enough
 * for its outage to be reported, for traffic that comes back to find its baseline, and for the
 * night of a service that stops at night to pass.
 */
const HOLD_SILENT_MS = 86_400_000;

/** The detector learns a daily profile over two days; until then its band knows no daily swing. */
const UNTIL_DAILY_MS = 2 * 86_400_000;

/**
 * Whether an expected value is the detector's level at zero: it learns none (the errors of a route
 * that never failed) as a rounding error above it, a hundred-millionth of its band's upper bound,
 * which an event would quote as "expected 9.84e-12".
 */
function atZero(expected: number, lower: number, upper: number): boolean {
  return lower <= 0 && expected > 0 && expected < upper * 1e-6;
}

interface WatchedSeries {
  detector: StreamingDetector;
  sample: SeriesSample;
  /** The cycle that last reported a value for the series, and the one it was admitted in. */
  seenCycle: number;
  admitted: number;
  /**
   * The cycle that last recorded a value for it: a gauge's value held since reports none, nor does
   * an up-down counter's running total nothing was added to.
   */
  recordedCycle: number;
  /** When the series was first fed, to tell its first two days. */
  since: number | undefined;
  /** For a rate or a level, what it did at each time of day lately: traffic that stops every night. */
  idle: IdleHours | undefined;
  last: SeriesBand | undefined;
  episode: EpisodeState;
  /** For a route's error rate, the longest it answered lately, which its clients' waits are set against. */
  slowest: SlowestAnswer | undefined;
  /** Its last incidents, from its first, to tell one that comes back every hour. */
  recurring: RecurringIncidents | undefined;
  /** The verdict of the incident held back as a repeat, reported if it turns out to be none. */
  held: Verdict | undefined;
}

/** A watched series' latest point against its baseline, as exported when `exportBands` is on. */
export interface SeriesBand {
  readonly metric: string;
  readonly attributes: SeriesSample['attributes'];
  readonly observed: number;
  readonly expected: number;
  readonly lower: number;
  readonly upper: number;
  readonly score: number;
}

/**
 * Watches metric series in-process: a metric reader of its own collects deltas each cycle and
 * feeds one detector per series. It reads a meter provider that only the watched instruments
 * record into, so no other recording pays for it. Series are kept in LRU order up to `maxSeries`;
 * one that reported this cycle is never forgotten for a newcomer, which is refused instead: with
 * every series live, evicting one would recreate a series each cycle and keep it in warm-up for
 * good; a gauge's value held for over a day is no sign of one (see `admit`). An event is emitted
 * once per episode.
 */
export class AnomalyEngine extends MetricReader {
  private readonly series = new Map<string, WatchedSeries>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly options: EngineOptions;
  /** The wall clock of `options.timeZone`, which the detectors' profiles follow too. */
  private readonly clock: WallClock;
  private cycle = 0;
  /**
   * In a drain's pause, one more than the cycles still to skip in it; 1 once they are skipped,
   * while the process is still drained.
   */
  private pausedCycles = 0;
  /** When a drain's pause ends, even if the process is still drained. */
  private drainEnds = 0;
  /**
   * After a drain's pause, while every route busy before it is still below its level and another
   * rate is back: those routes' request rates (see drainedWith), left unjudged while the rest is
   * judged again. Undefined otherwise.
   */
  private drained: Set<string> | undefined;
  /** Whether this cluster worker's disconnect has paused the detection. */
  private disconnected = false;
  /** When the last cycle collected, on the wall clock and on the process's own. */
  private collectedAt: { wall: number; own: number } | undefined;
  /** Episodes opened since start, for `sightline.anomaly.*` metrics. */
  episodes = 0;

  /** Sums the up-down counters' deltas into their levels, and keeps the exporters' series apart. */
  private readonly asExported: (metrics: ResourceMetrics) => ResourceMetrics;
  /** The reader's limit for the HTTP durations, which are collected apart from the SDK. */
  static histogramLimit(cardinalityLimit: number): number {
    return asExported(cardinalityLimit).limitOf(InstrumentType.HISTOGRAM);
  }

  constructor(options: EngineOptions) {
    const limit = options.cardinalityLimit ?? 2000;
    const exported = asExported(limit);
    super({
      // Deltas only: the SDK's cumulative storage would keep every series ever recorded.
      aggregationTemporalitySelector: () => AggregationTemporality.DELTA,
      // Past the exporters' limit, which `asExported` applies: under the SDK's own default the
      // detectors would watch series the backends only have in the overflow series, or one
      // overflow series mixing series they keep.
      cardinalitySelector: exported.limitOf,
      ...(options.metricProducers ? { metricProducers: options.metricProducers } : {}),
    });
    this.options = options;
    this.clock = wallClock(options.timeZone ?? processTimeZone()) ?? UTC;
    this.asExported = exported.fold;
  }

  get watchedSeries(): number {
    return this.series.size;
  }

  /**
   * The latest point and band of every watched series still reporting; none in a drain's pause,
   * whose cycles are not judged: the last would be charted as current.
   */
  *bands(): IterableIterator<SeriesBand> {
    if (this.pausedCycles > 0 && this.drained === undefined) return;
    for (const s of this.series.values()) if (s.last && this.judged(s) && !this.stillDrained(s)) yield s.last;
  }

  /** Whether a series is left unjudged as drained, while others the drain left are judged. */
  private stillDrained(s: WatchedSeries): boolean {
    return this.drained?.has(drainedWith(s.sample)) === true;
  }

  get activeEpisodes(): number {
    let n = 0;
    // An episode is the one its event reported: the detector's own, before the engine confirms it
    // (a lone GC pause), is no incident, nor is a change held as the series' new level.
    for (const s of this.series.values()) {
      const { reported, settled, repeat } = s.episode;
      if (this.judged(s) && reported !== undefined && settled === undefined && !repeat) n++;
    }
    return n;
  }

  /** Whether the series is still judged: a rate gone silent is fed zeros, so its outage stays open. */
  private judged(s: WatchedSeries): boolean {
    return s.sample.zeroWhenAbsent || this.cycle - s.seenCycle < STALE_CYCLES;
  }

  protected override onInitialized(): void {
    this.collectedAt = { wall: (this.options.now ?? Date.now)(), own: realNow() };
    this.timer = setInterval(() => void this.runCycle(), this.options.intervalMs);
    this.timer.unref();
  }

  protected override async onForceFlush(): Promise<void> {}

  protected override async onShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
  }

  /**
   * Judges no cycle for a drain's length: the process is leaving (a graceful drain after SIGTERM),
   * and its share of the traffic going to the other replicas is no outage. After it, a process
   * whose busy rates are all still below their expected levels is still draining (long-lived
   * connections let finish), up to DRAIN_MAX_MS after the signal; one whose traffic is back, or
   * never left, did not leave (a signal caught and ignored, a drain called off), and is judged again: its
   * cycles of the pause are not, like a stalled one's. The metrics still export.
   */
  pauseForDrain(why: string): void {
    if (this.timer === undefined) return;
    this.pausedCycles = 1 + Math.max(DRAIN_MIN_CYCLES, Math.ceil(DRAIN_MS / this.options.intervalMs));
    this.drainEnds = (this.options.now ?? Date.now)() + DRAIN_MAX_MS;
    this.drained = undefined;
    this.options.diag.info(
      'anomaly.paused',
      `anomaly detection paused: ${why}; it resumes if the process still runs in ${Math.round(Math.max(DRAIN_MS, DRAIN_MIN_CYCLES * this.options.intervalMs) / 60_000)} min with its traffic back, or in ${DRAIN_MAX_MS / 60_000} min`,
    );
  }

  /** The detection cycle under way, whose events are still to come; `undefined` between cycles. */
  get cycleInProgress(): Promise<void> | undefined {
    return this.running;
  }

  /** Collects one cycle and feeds every watched series; never throws. */
  async runCycle(): Promise<void> {
    if (this.running) return;
    this.running = this.collectAndFeed();
    try {
      await this.running;
    } finally {
      this.running = undefined;
    }
  }

  private async collectAndFeed(): Promise<void> {
    if (!this.disconnected && cluster.worker?.exitedAfterDisconnect === true) {
      // `cluster.disconnect()` sends a worker no signal: it closes the worker's servers, whose
      // requests in flight then finish, and its share of the traffic goes to the other workers.
      this.disconnected = true;
      this.pauseForDrain('this cluster worker is disconnecting, a drain');
      this.options.onDisconnect?.();
    }
    // Read before collecting: a cycle under way at the signal holds the traffic before it.
    const judged = !this.paused();
    try {
      // An async gauge callback that never settles must not stall every later cycle.
      const { resourceMetrics } = await this.collect({
        timeoutMillis: Math.min(this.options.intervalMs, 30_000),
      });
      const now = (this.options.now ?? Date.now)();
      const exported = this.asExported(resourceMetrics);
      if (this.stalled(now) || !judged) return;
      const recorded = recordedLevels(resourceMetrics, exported, this.options.detected);
      const samples = extractSamples(
        flattenResourceMetrics(exported),
        this.options.detected,
        this.options.watchHttp,
        this.options.intervalMs / 1000,
        recorded,
      );
      if (this.pausedCycles === 1 && !this.drainOver(samples, now)) return;
      this.feed(samples, now);
    } catch (error) {
      this.options.diag.warn(
        'anomaly.cycle',
        `a detection cycle failed: ${error instanceof Error ? error.message : 'error'}`,
      );
    }
  }

  /** Whether this cycle falls in a drain's pause before the process's traffic is looked at. */
  private paused(): boolean {
    if (this.pausedCycles <= 1) return false;
    this.pausedCycles--;
    return true;
  }

  /**
   * Whether the cycle after a drain's pause is judged: a rate busy before it is back at its expected
   * level or above (the process stayed); none was, and nothing tells a drain; or the drain has
   * lasted too long. Not merely inside its band: long-lived connections ending one by one over the
   * grace period taper the traffic off, still half of it five minutes in, inside a rate of
   * forty-five's band. A drain takes the process's HTTP traffic away, the load balancer sending it
   * to the other replicas, while work of its own may go on (a queue consumer): with every busy
   * route still below its level and another rate back, the routes are left out, and the rest
   * judged while it stays in its band or above, until a route is back. A rate of the rest below its
   * band again with the routes still away is the drain going on, left out with them, the others
   * judged: a shutdown stops its consumer as its server drains, a timer's work going on to the exit,
   * and the consumer stopped in a process that stays is reported once a route is back, or at the
   * drain's end.
   */
  private drainOver(samples: readonly SeriesSample[], now: number): boolean {
    let busy = 0;
    let back = false;
    let routeBack = false;
    const routes = new Set<string>();
    // The rest not back, left unjudged with the routes while what is back is judged.
    const away: string[] = [];
    const values = new Map(samples.map((s) => [s.key, s.value]));
    for (const s of this.series.values()) {
      if (!s.sample.zeroWhenAbsent || s.last === undefined || !(s.last.lower > 0)) continue;
      busy++;
      const value = values.get(s.sample.key) ?? 0;
      const isBack = value >= s.last.expected;
      if (s.sample.metric === HTTP_REQUEST_RATE) {
        if (isBack) routeBack = true;
        else routes.add(s.sample.key);
        continue;
      }
      // Once judged again, a rate goes on as long as it is not below its band: back at its level
      // half its cycles, it is no less there in the others. Below it, it is left with the routes: a
      // shutdown stops a consumer as its server drains while a timer's work goes on to the exit.
      const judged = this.drained !== undefined && !this.stillDrained(s);
      if (isBack || (judged && value >= s.last.lower)) back = true;
      else away.push(s.sample.key);
    }
    if (now < this.drainEnds && !routeBack) {
      if (routes.size > 0 && back) {
        for (const key of away) routes.add(key);
        this.drained = routes;
        return true;
      }
      // Everything below its band again with the routes still away: the drain goes on, the work
      // the process did besides its requests (a queue consumer) stopped as it leaves.
      if (busy > 0 && !back) {
        this.drained = undefined;
        return false;
      }
    }
    this.pausedCycles = 0;
    this.drained = undefined;
    this.options.diag.info('anomaly.resumed', 'anomaly detection resumed: the process runs on');
    return true;
  }

  /**
   * Whether this cycle came so late that the process did not run for part of it: its counts are of
   * the time before the stall only, and are not judged. Either clock tells: a frozen process's both
   * move on, a machine asleep moves the wall clock only.
   */
  private stalled(now: number): boolean {
    const own = realNow();
    const last = this.collectedAt;
    this.collectedAt = { wall: now, own };
    if (last === undefined) return false;
    const late = Math.max(now - last.wall, own - last.own) - this.options.intervalMs;
    if (late <= Math.max(STALLED_LATE_INTERVALS * this.options.intervalMs, STALLED_LATE_MIN_MS)) return false;
    this.options.diag.info(
      'anomaly.stalled',
      `a detection cycle came ${Math.round(late / 1000)} s late (the process was paused or blocked, or the clock stepped); its counts are not judged`,
    );
    return true;
  }

  /** Feeds one cycle's samples, and zeros for rate series that went silent. */
  feed(samples: readonly SeriesSample[], now: number): void {
    const cycle = ++this.cycle;
    let refused = 0;
    // The watched series are fed first, which marks every one reporting this cycle live: a delta
    // reader's points come in the order of the cycle's first recordings, and a newcomer met before
    // a watched series that reports later would otherwise take its place, the evicted series
    // coming back with a new detector in warm-up, cycle after cycle.
    const newcomers: SeriesSample[] = [];
    for (const sample of samples) {
      const watched = this.series.get(sample.key);
      if (watched === undefined) newcomers.push(sample);
      else if (this.stillDrained(watched)) this.seen(watched, cycle);
      else this.update(watched, sample, sample.value, now, cycle);
    }
    // The series to forget for newcomers, least recently seen first: one passed over stays live,
    // out or drained through the cycle, so the search goes on from where it stopped.
    const forgettable = this.series.values();
    // And the gauges held at their last values for over a day, found once a newcomer needs one.
    let heldLong: IterableIterator<WatchedSeries> | undefined;
    const longestHeld = () => (heldLong ??= this.heldLong(cycle));
    for (const sample of newcomers) {
      const watched = this.series.get(sample.key) ?? this.admit(sample, cycle, forgettable, longestHeld);
      if (watched === undefined) refused++;
      else this.update(watched, sample, sample.value, now, cycle);
    }
    const silent = [...this.series.values()].filter(
      (w) => w.seenCycle !== cycle && w.sample.zeroWhenAbsent && !this.stillDrained(w),
    );
    const renamed = renamedRates(silent, this.series.values(), cycle);
    for (const watched of silent) {
      if (renamed.has(watched)) this.series.delete(watched.sample.key);
      else this.update(watched, watched.sample, 0, now, undefined);
    }
    if (refused > 0) {
      this.options.drops.add('anomaly_series_limit', refused);
      this.options.diag.warn(
        'anomaly.max_series',
        `${refused} series not watched this cycle: all ${this.options.maxSeries} watched series (anomaly.maxSeries) are live, busy rates silent or gauges held at their last values for less than a day, or left unjudged in a drain`,
      );
    }
  }

  /**
   * A detector for a new series, in place of the least recently seen one that is not live, nor a
   * busy rate gone silent within a day, whose outage its zeros are judged for, nor left unjudged in
   * a drain, whose traffic is away, not gone, and comes back with its baseline if the process stays.
   * Else a gauge held at its last value, or an up-down counter nothing was added to, for over a day,
   * the longest held first: its source is gone (a host replaced, a tenant's queue retired), and the
   * exporters send that value for good, so such series that churn would otherwise hold every watched
   * series, and no new one would ever be watched.
   */
  private admit(
    sample: SeriesSample,
    cycle: number,
    forgettable: Iterator<WatchedSeries>,
    heldLong: () => IterableIterator<WatchedSeries>,
  ): WatchedSeries | undefined {
    if (this.series.size >= this.options.maxSeries) {
      // A value held is no series come back: let in for another, each would put the other out in
      // turn, cycle after cycle.
      if (sample.held || sample.unmoved) return undefined;
      let oldest: WatchedSeries | undefined;
      // Map order is least recently seen first: past a series that reported this cycle, all did,
      // the newcomers admitted in it too, each passed over once by those refused.
      for (let next = forgettable.next(); !next.done; next = forgettable.next()) {
        const s = next.value;
        if (s.seenCycle === cycle) break;
        if (this.stillDrained(s) || this.heldSilent(s, cycle)) continue;
        oldest = s;
        break;
      }
      // An array's iterator, which a break leaves where it stopped for the next newcomer.
      if (oldest === undefined) {
        for (const s of heldLong()) {
          if (this.series.get(s.sample.key) !== s) continue;
          oldest = s;
          break;
        }
      }
      if (oldest === undefined) return undefined;
      this.series.delete(oldest.sample.key);
    }
    const watched: WatchedSeries = {
      detector: new StreamingDetector({
        sensitivity: this.options.sensitivity,
        direction: sample.direction,
        transform: sample.transform,
        // The engine confirms episodes over cycles and spaces its own events, so the
        // detector's long cooldown would only hide a real fault behind an unconfirmed blip.
        cooldown: ENGINE_COOLDOWN,
        ...(this.options.warmup !== undefined ? { warmup: this.options.warmup } : {}),
        ...(this.options.timeZone !== undefined ? { timeZone: this.options.timeZone } : {}),
      }),
      // Kept for the series' life: its first cycle's answers (their buckets, the cancels in each)
      // and a p95's buckets are no part of it.
      sample:
        sample.answers === undefined && sample.buckets === undefined
          ? sample
          : { ...sample, answers: undefined, buckets: undefined },
      seenCycle: cycle,
      admitted: cycle,
      recordedCycle: cycle,
      since: undefined,
      idle:
        sample.zeroWhenAbsent || isLevel(sample)
          ? new IdleHours(this.options.intervalMs, this.clock)
          : undefined,
      last: undefined,
      episode: newEpisodeState(),
      slowest: sample.answers === undefined ? undefined : new SlowestAnswer(),
      recurring: undefined,
      held: undefined,
    };
    this.series.set(sample.key, watched);
    return watched;
  }

  /**
   * The gauges held, not recorded, and the up-down counters nothing was added to, for over a day,
   * the longest held first: all are live in every cycle, so the order they were last seen in is only
   * the order of the cycle's samples, and a gauge set as it changes that held still over a weekend
   * would go before hosts gone for weeks.
   */
  private heldLong(cycle: number): IterableIterator<WatchedSeries> {
    const held: WatchedSeries[] = [];
    for (const s of this.series.values()) {
      if ((cycle - s.recordedCycle) * this.options.intervalMs > HOLD_SILENT_MS) held.push(s);
    }
    return held.sort((a, b) => a.recordedCycle - b.recordedCycle).values();
  }

  /**
   * Whether a busy rate gone silent keeps its detector: it is least recently seen from its outage's
   * first cycle, when a newcomer is often the outcome its count moved to (every payment declined);
   * forgotten, its outage would go unreported, or end unresolved. For a day: rates that stopped for
   * good (queues retired, routes or tenants that churn) would otherwise hold every watched series,
   * and no new one would ever be watched.
   */
  private heldSilent(s: WatchedSeries, cycle: number): boolean {
    return (
      s.sample.zeroWhenAbsent &&
      (cycle - s.seenCycle) * this.options.intervalMs <= HOLD_SILENT_MS &&
      busyGoneSilent(s.episode, s.sample.perCycle)
    );
  }

  /** Marks a series as reporting in `cycle`, which moves it to the end of the LRU order. */
  private seen(watched: WatchedSeries, cycle: number): void {
    if (watched.seenCycle === cycle) return;
    watched.seenCycle = cycle;
    this.series.delete(watched.sample.key);
    this.series.set(watched.sample.key, watched);
  }

  /** Feeds one value; `cycle` marks a reported value, which moves the series to the end of the LRU order. */
  private update(
    watched: WatchedSeries,
    sample: SeriesSample,
    value: number,
    now: number,
    cycle: number | undefined,
  ): void {
    if (cycle !== undefined) {
      this.seen(watched, cycle);
      if (!sample.held && !sample.unmoved) watched.recordedCycle = cycle;
    }
    const answers = cycle === undefined ? undefined : sample.answers;
    if (answers !== undefined && watched.slowest !== undefined) {
      value = errorShare(answers, sample.requests, watched.slowest.record(answers.answered, now));
    }
    watched.since ??= now;
    const input = detectorInput(sample, value);
    const held = cycle !== undefined && sample.held;
    const r = inSeriesUnit(
      held ? watched.detector.updateHeld(input, now) : watched.detector.update(input, now),
      sample.perCycle,
    );
    const daily = watched.idle?.record(value, now) ?? NOT_IDLE;
    watched.last = {
      metric: sample.metric,
      attributes: sample.attributes,
      observed: value,
      expected: r.expected,
      // As in its events: a rate or a duration below zero is no part of a series' normal band.
      lower: sample.nonNegative ? Math.max(0, r.lower) : r.lower,
      upper: r.upper,
      score: r.score,
    };
    const verdict = judge(
      watched.episode,
      sample,
      value,
      r,
      this.options.confirmCycles,
      watched.detector.driftEpisode,
      now - watched.since < UNTIL_DAILY_MS,
      daily,
    );
    const s = watched.episode;
    if (verdict === undefined) {
      const open = s.reported !== undefined;
      const next = watched.recurring?.follow(open, value, r, now, s.backRun === 0, s.reportedExpected);
      if (next === 'over' && s.repeat) endIncident(s);
      else if (next !== undefined && next !== 'over' && s.repeat && watched.held !== undefined) {
        // The repeat is an incident after all, judged against the band it opened on.
        s.repeat = false;
        this.report(watched, sample, now, {
          ...watched.held,
          kind: next === 'lasting' ? 'level_shift' : watched.held.kind,
          observed: s.reportedOnMean ? s.mean.value : value,
          mean: s.reportedOnMean,
          shareOf: undefined,
          over: undefined,
          expected: s.reportedExpected,
          lower: s.reportedLower,
          upper: s.reportedUpper,
        });
      }
      return;
    }
    // A share of requests goes no higher than all of them, a rate no lower than none.
    watched.recurring ??= new RecurringIncidents(
      sample.metric === HTTP_ERROR_RATE ? 1 : undefined,
      sample.nonNegative ? 0 : undefined,
    );
    const up = s.reported === 'up';
    if (watched.recurring.opens(up, value, r.expected, now, this.options.intervalMs, s.outageReported)) {
      s.repeat = true;
      watched.held = verdict;
      return;
    }
    this.report(watched, sample, now, verdict);
  }

  /** Emits the event of an incident the series' verdict, or its repeat held back, says is new. */
  private report(watched: WatchedSeries, sample: SeriesSample, now: number, verdict: Verdict): void {
    this.episodes++;
    const { kind, observed, severity, score, lower, upper } = verdict;
    const expected = atZero(verdict.expected, lower, upper) ? 0 : verdict.expected;
    this.options.emit({
      metric: sample.metric,
      attributes: sample.attributes,
      time: now,
      observed,
      expected,
      band: { lower, upper },
      score,
      severity,
      kind,
      explanation: explain(
        sample.metric,
        sample.attributes,
        kind,
        observed,
        expected,
        lower,
        upper,
        severity,
        shownUnit(sample, this.options.intervalMs, verdict),
        observedAs(verdict, this.options.intervalMs, sample.unit) ?? heldAt(kind, watched.detector.flatBound),
      ),
      service: this.options.service,
      environment: this.options.environment,
    });
  }
}

/** What a flatline's value is when its run began at an end of the range seen: a bound, maybe stuck. */
function heldAt(kind: string, bound: number): string | undefined {
  if (kind !== 'flatline' || bound === 0) return undefined;
  return bound > 0 ? 'its highest yet' : 'its lowest yet';
}
