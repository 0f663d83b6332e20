import { describe, expect, it } from 'vitest';
import { DAY, STATE_FLOATS, WEEK } from '../../../src/anomaly/detector-state.js';
import { UTC, wallClock } from '../../../src/anomaly/wall-clock.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The profiles' slot cache lives in the series' scalars: a state of its own for each walk. */
function slotState(): Float64Array {
  return new Float64Array(STATE_FLOATS);
}

/** The daily slots, as hh:mm of their start, of points every `stepMs` from `from` to `to`. */
function daySlots(zone: string, from: number, to: number, stepMs: number): string[] {
  const clock = wallClock(zone)!;
  const state = slotState();
  const out: string[] = [];
  for (let t = from; t < to; t += stepMs) {
    const slot = DAY.slotOf(state, t, clock);
    const minutes = slot * 5;
    const hhmm = `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
    if (out.at(-1) !== hhmm) out.push(hhmm);
  }
  return out;
}

describe('the wall clock of a time zone', () => {
  it('reads the offset from UTC on either side of a clock change, and the span it holds over', () => {
    const ny = wallClock('America/New_York')!;
    // Spring: 02:00 EST is 03:00 EDT, at 07:00 UTC.
    const spring = Date.UTC(2024, 2, 10, 7);
    expect(ny.offsetAt(spring - 1)).toBe(-5 * HOUR);
    expect(ny.from).toBeLessThan(spring - 1);
    expect(ny.to).toBe(spring);
    expect(ny.offsetAt(spring)).toBe(-4 * HOUR);
    expect(ny.from).toBe(spring);
    expect(ny.to).toBeGreaterThan(spring);
    // Autumn: 02:00 EDT is 01:00 EST, at 06:00 UTC.
    const autumn = Date.UTC(2024, 10, 3, 6);
    expect(ny.offsetAt(autumn - 1)).toBe(-4 * HOUR);
    expect(ny.offsetAt(autumn)).toBe(-5 * HOUR);
    expect(wallClock('Europe/Berlin')!.offsetAt(Date.UTC(2024, 6, 1))).toBe(2 * HOUR);
    expect(wallClock('Asia/Kolkata')!.offsetAt(Date.UTC(2024, 6, 1))).toBe(5.5 * HOUR);
  });

  it('takes the names the runtime knows, in any case, and refuses others', () => {
    expect(wallClock('america/new_york')?.timeZone).toBe('America/New_York');
    expect(wallClock('UTC')).toBe(UTC);
    expect(wallClock('Etc/UTC')).toBe(UTC);
    for (const name of ['Mars/Olympus_Mons', '', 'Local', 'New York'])
      expect(wallClock(name)).toBeUndefined();
  });

  it('keeps one clock for each zone, whichever of the zones the runtime knows it is asked for', () => {
    // A formatter of its own costs a detector about 25 kB: past the 64th zone asked for, detectors
    // of one zone each had theirs, four times the memory of a series.
    const zones = Intl.supportedValuesOf('timeZone');
    const first = zones.map((zone) => wallClock(zone));
    const apart = zones.filter((zone, i) => wallClock(zone) !== first[i]);
    expect(apart).toEqual([]);
    expect(wallClock('asia/tokyo')).toBe(wallClock('Asia/Tokyo'));
  });

  it('gives an offset for any timestamp, without throwing', () => {
    const ny = wallClock('America/New_York')!;
    for (const t of [0, -1e15, 8.64e15, 1e20, -1e20, Date.UTC(1800, 0, 1)]) {
      expect(Number.isFinite(ny.offsetAt(t)), String(t)).toBe(true);
    }
    const state = slotState();
    expect(DAY.slotOf(state, 1e20, ny)).toBeGreaterThanOrEqual(0);
    expect(WEEK.slotOf(state, -1e20, ny)).toBeLessThan(WEEK.slots);
  });
});

describe('seasonal slots on the wall clock', () => {
  it('repeats the slots of the hour the clock goes back over, and skips those it goes forward over', () => {
    // New York, one point a minute from 00:00 to 04:00 on the wall clock.
    const autumn = daySlots('America/New_York', Date.UTC(2024, 10, 3, 4), Date.UTC(2024, 10, 3, 9), MINUTE);
    expect(autumn.slice(0, 3)).toEqual(['00:00', '00:05', '00:10']);
    expect(autumn.slice(22, 27)).toEqual(['01:50', '01:55', '01:00', '01:05', '01:10']);
    expect(autumn.at(-1)).toBe('03:55');
    expect(autumn.length).toBe(60);
    const spring = daySlots('America/New_York', Date.UTC(2024, 2, 10, 5), Date.UTC(2024, 2, 10, 9), MINUTE);
    expect(spring.slice(22, 26)).toEqual(['01:50', '01:55', '03:00', '03:05']);
    expect(spring.some((hhmm) => hhmm.startsWith('02:'))).toBe(false);
  });

  it('starts the slots of a zone half an hour off UTC on its own hours, across its clock changes', () => {
    // Adelaide is 9.5 or 10.5 hours ahead of UTC, Lord Howe Island 10.5 or 11 (a change of half an
    // hour). Each slot a point is given from the cache is the one a fresh cache gives it.
    const changes = [
      ['Australia/Adelaide', Date.UTC(2024, 3, 6, 16, 30)],
      ['Australia/Adelaide', Date.UTC(2024, 9, 5, 16, 30)],
      ['Australia/Lord_Howe', Date.UTC(2024, 3, 6, 15)],
      ['Australia/Lord_Howe', Date.UTC(2024, 9, 5, 15, 30)],
    ] as const;
    for (const [zone, at] of changes) {
      const clock = wallClock(zone)!;
      const cached = slotState();
      for (let t = at - 3 * HOUR; t < at + 3 * HOUR; t += MINUTE) {
        const local = t + clock.offsetAt(t);
        const fresh = slotState();
        expect(DAY.slotOf(cached, t, clock), `${zone} ${new Date(t).toISOString()}`).toBe(
          DAY.slotOf(fresh, t, clock),
        );
        expect(WEEK.slotOf(cached, t, clock)).toBe(WEEK.slotOf(fresh, t, clock));
        // Hour of the week from Thursday 00:00, the weekday of the epoch, on the wall clock.
        expect(WEEK.slotOf(fresh, t, clock)).toBe(Math.floor(local / HOUR) % 168);
      }
    }
  });

  it('keeps UTC slots where they were', () => {
    const state = slotState();
    for (let t = Date.UTC(2024, 2, 9); t < Date.UTC(2024, 2, 12); t += 7 * MINUTE) {
      expect(DAY.slotOf(state, t, UTC)).toBe(Math.floor((t % 86_400_000) / (5 * MINUTE)));
      expect(WEEK.slotOf(state, t, UTC)).toBe(Math.floor(t / HOUR) % 168);
    }
  });
});
