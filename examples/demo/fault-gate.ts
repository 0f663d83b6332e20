/**
 * When each fault goes in: at its planned time if the detector is ready for the series it hits,
 * else once it is, counted in that series' collection cycles. On a busy machine the cycles run
 * late, and a slow first cycle keeps a route's band wide for a while (the detector also doubles a
 * series' band in its first two days): a fault injected by the clock alone could land inside the
 * band and go unreported.
 */
import { type Recorder, type SeriesPoint, seriesKey } from './recorder.js';
import type { FaultSpec, Scenario } from './scenario.js';

/** A scenario whose fault times and end move later while a fault waits for the detector. */
export interface Timeline extends Scenario {
  durationS: number;
  readonly faults: (FaultSpec & { startS: number; endS: number })[];
}

/** A copy of `scenario` the gate may move, its daily rate pattern kept at the planned length. */
export function timeline(scenario: Scenario): Timeline {
  return {
    ...scenario,
    dayS: scenario.dayS ?? scenario.durationS,
    faults: scenario.faults.map((f) => ({ ...f })),
  };
}

/** Cycles past the warm-up the detector gets before a fault may hit a series. */
const SETTLE_CYCLES = 1;

/**
 * Whether a fault would leave the series' latest band: past the warm-up, with a band that ends
 * below half of the move the fault makes (a latency regression, an error ratio). A traffic drop
 * to zero needs the warm-up only.
 */
export function readyFor(fault: FaultSpec, points: readonly SeriesPoint[], warmup: number): boolean {
  const last = points[points.length - 1];
  if (last === undefined || points.length < warmup + SETTLE_CYCLES) return false;
  if (fault.latencyMs !== undefined) return last.upper < last.expected + fault.latencyMs / 2000;
  if (fault.errorRatio !== undefined) return last.upper < (last.expected + fault.errorRatio) / 2;
  return true;
}

/**
 * Holds the next fault while the series it is about is not ready, moving it, the faults after it
 * and the end of the run one cycle later each time; at most `maxHoldCycles` cycles of that series
 * over the run, so a band that never narrows cannot hold the demo forever, and four times as long
 * in seconds, should the series' cycles stop coming.
 *
 * @example
 * const gate = new FaultGate(run, recorder, run.warmup);
 * setInterval(() => gate.check(recorder.elapsed()), 50);
 */
export class FaultGate {
  private next = 0;
  private heldCycles = 0;
  private heldS = 0;
  /** Cycles the next fault's series had when its planned time came. */
  private dueAt: number | undefined;

  constructor(
    private readonly run: Timeline,
    private readonly recorder: Recorder,
    private readonly maxHoldCycles: number,
  ) {}

  /** Lets the next fault go in at `t` (seconds since the load started) or moves it later. */
  check(t: number): void {
    const fault = this.run.faults[this.next];
    // Decided half a cycle ahead, so the live view never announces a fault that is then held.
    if (fault === undefined || t < fault.startS - this.run.intervalMs / 2000) return;
    const target = fault.affects[0];
    const points = target
      ? (this.recorder.series.get(seriesKey(target.service, target.metric, target.route))?.points ?? [])
      : [];
    this.dueAt ??= points.length;
    const held = this.heldCycles + points.length - this.dueAt;
    const overdue = this.heldS >= (4 * this.maxHoldCycles * this.run.intervalMs) / 1000;
    if (held >= this.maxHoldCycles || overdue || readyFor(fault, points, this.run.warmup)) {
      this.heldCycles = held;
      this.dueAt = undefined;
      this.next++;
      return;
    }
    // Checked again before the next cycle has come: the fault starts at most a cycle after ready.
    const by = t + this.run.intervalMs / 1000 - fault.startS;
    for (const f of this.run.faults.slice(this.next)) {
      f.startS += by;
      f.endS += by;
    }
    this.run.durationS += by;
    this.heldS += by;
  }
}
