import type { WallClock } from './wall-clock.js';

/** Opening and closing hours move by a few minutes from one day to the next. */
const SLOT_MS = 15 * 60_000;
const DAY_SLOTS = 96;
const DAY_MS = DAY_SLOTS * SLOT_MS;
/** Slots of the last two days, the one a day before now being yesterday's at this time of day. */
const RING = 2 * DAY_SLOTS;
/** Zeros where a day before the series was idle too, or not yet watched: its idle hours. */
const AT_ZERO = 1;
const AT_VALUE = 2;
/** Zeros where a day before the series had values, or was out: an outage, not its idle hours. */
const AT_GAP = 4;
/**
 * Values, then zeros from the next quarter hour on, where a day before the series was idle or
 * closed within a quarter hour: it closed here. A business that closes at 18:05 has values in the
 * quarter hour from 18:00 every day, so its zeros there are gaps; closing at 17:55 by the clock (ten
 * minutes early, or on time after NTP stepped the clock back) is still its day.
 */
const AT_CLOSED = 8;
/** Values after a quarter hour or more at zero: it came back here. */
const AT_BACK = 16;
/**
 * Quarter hours after its return in which a rise is still that return: the detector sees an opening
 * only a quarter hour or so after it. A rise hours after it is no opening.
 */
const BACK_NEAR_SLOTS = 2;
/**
 * Quarter hours either side of the one it came back in a day before in which a return is its day: a
 * shop opens at 08:30 one day and 09:30 the next. A return hours off that (a weekday business's
 * Saturday surge, at an hour it had been busy since the morning on Friday) is no opening.
 */
const BACK_DAY_SLOTS = 4;
/**
 * Share of a rate's values at zero over about the last day from which it is a rate that stops for
 * hours every day (traffic at night, a job's output), as the detector tells one.
 */
const IDLE_SHARE = 0.2;

/** Whether a value now repeats what a rate that stops every day did near this time of day yesterday. */
export interface DailyIdle {
  /** It was at zero: it stops about now. */
  readonly zero: boolean;
  /** It had values: it comes back about now. */
  readonly value: boolean;
}

export const NOT_IDLE: DailyIdle = { zero: false, value: false };

/**
 * A rate's idle hours: its share of values at zero over about the last day, and whether it was at
 * zero or had values in each quarter hour of the last two days. A business-hours rate's closing and
 * opening are told from an outage and a surge by them, from its second day, while its detector's
 * band does not know them until it has learned a daily profile: the series did the same a day ago.
 */
export class IdleHours {
  private readonly slots = new Uint8Array(RING);
  /** The quarter hour (since the epoch) of the latest value recorded. */
  private at = -1;
  private fed = 0;
  private zeroShare = 0;
  /** Since when the series has been at zero, or not yet watched (idle as far as it knows); none while it has values. */
  private zeroSince: number | undefined = Number.NEGATIVE_INFINITY;
  /** The quarter hour it last came back in. */
  private back = -1;

  /** `clock`: the zone whose wall clock tells the time of day, as it does the detector's profiles. */
  constructor(
    private readonly intervalMs: number,
    private readonly clock: WallClock,
  ) {}

  /** Records a value and tells whether it repeats what the series did near this time yesterday. */
  record(value: number, now: number): DailyIdle {
    // Quarter hours on the wall clock: a day after a change of offset, yesterday's hours are there.
    const slot = Math.floor((now + this.clock.offsetAt(now)) / SLOT_MS);
    if (!Number.isFinite(slot)) return NOT_IDLE;
    this.fed++;
    const weight = Math.max(this.intervalMs / DAY_MS, 1 / this.fed);
    this.zeroShare += weight * ((value === 0 ? 1 : 0) - this.zeroShare);
    const prev = this.at;
    if (slot > prev) {
      // Quarter hours without a value, and those two days old, hold nothing.
      const from = prev < 0 ? slot : Math.max(prev + 1, slot - RING + 1);
      for (let s = from; s <= slot; s++) this.slots[s % RING] = 0;
      this.at = slot;
    }
    if (value === 0) this.zeroSince ??= now;
    else {
      if (this.zeroSince !== undefined && now - this.zeroSince >= SLOT_MS) this.back = slot;
      this.zeroSince = undefined;
    }
    if (slot > this.at - RING) {
      const dayBefore = this.did(slot - DAY_SLOTS);
      const mark = value !== 0 ? AT_VALUE : dayBefore & (AT_VALUE | AT_GAP) ? AT_GAP : AT_ZERO;
      this.slots[slot % RING]! |= mark | (this.back === slot ? AT_BACK : 0);
      if (value === 0 && slot > prev && slot - prev < DAY_SLOTS && this.did(prev) & AT_VALUE) {
        const closedNear =
          (this.did(prev - DAY_SLOTS - 1) | this.did(prev - DAY_SLOTS) | this.did(prev - DAY_SLOTS + 1)) &
          AT_CLOSED;
        if (mark === AT_ZERO || closedNear) this.slots[prev % RING]! |= AT_CLOSED;
      }
    }
    if (this.zeroShare < IDLE_SHARE) return NOT_IDLE;
    // A quarter hour either side of yesterday's time, as a business opens and closes a few minutes
    // earlier or later; zeros only from yesterday's time on, so a half-hour burst of a job's output
    // that does not come is not taken for the zeros that came before it a day ago.
    const before = this.did(slot - DAY_SLOTS - 1);
    const then = this.did(slot - DAY_SLOTS);
    const after = this.did(slot - DAY_SLOTS + 1);
    // A closing follows values: zeros since before this quarter hour and the last (a job's
    // half-hour burst that does not come today) close nothing.
    const closing = (this.did(slot) | this.did(slot - 1)) & AT_VALUE ? AT_CLOSED : 0;
    return {
      zero: ((then | after) & (AT_ZERO | closing)) !== 0,
      value: ((before | then | after) & AT_VALUE) !== 0 && this.backAsADayBefore(slot),
    };
  }

  /** Whether the series came back just now, near the time it came back a day before. */
  private backAsADayBefore(slot: number): boolean {
    if (this.back < 0 || slot - this.back > BACK_NEAR_SLOTS) return false;
    const then = this.back - DAY_SLOTS;
    for (let s = then - BACK_DAY_SLOTS; s <= then + BACK_DAY_SLOTS; s++)
      if (this.did(s) & AT_BACK) return true;
    return false;
  }

  private did(slot: number): number {
    return slot >= 0 ? this.slots[slot % RING]! : 0;
  }
}
