/**
 * Offsets are read a UTC day at a time: a zone changes its offset at most once a day, and two
 * changes may come a week apart (Brazil's summer time of 2000 in Recife lasted seven days).
 */
const DAY_MS = 86_400_000;
/**
 * Instants whose offset is read from the zone's rules: before and after them, the nearest one's
 * (the formatter's calendar is Julian before 1582, and its years end at 275760).
 */
const RULES_FROM = Date.UTC(1900, 0, 1);
const RULES_TO = Date.UTC(9999, 11, 31);

/**
 * A time zone's wall clock: the offset from UTC at an instant, and the span around it over which
 * the offset is the same, so a seasonal slot that holds a change of offset (the hour a clock goes
 * back or forward) ends there. Offsets are read a day at a time, one formatter call at each end of
 * the day and a search for the change between them when they differ.
 *
 * @example
 * ```ts
 * const ny = wallClock('America/New_York')!;
 * ny.offsetAt(Date.UTC(2024, 6, 1)); // -14_400_000: four hours behind UTC in summer
 * ```
 */
export class WallClock {
  readonly timeZone: string;
  /** The span of the last offset read, [from, to), over which it is `offset`. */
  from: number;
  to: number;
  private offset = 0;
  private readonly format: Intl.DateTimeFormat | undefined;
  /** The day last read, the instant in it from which `after` holds (its end if none), and the offsets. */
  private day = Number.NaN;
  private change = 0;
  private before = 0;
  private after = 0;

  /** `format` undefined: UTC, whose offset is 0 at every instant. */
  constructor(timeZone: string, format: Intl.DateTimeFormat | undefined) {
    this.timeZone = timeZone;
    this.format = format;
    this.from = format === undefined ? Number.NEGATIVE_INFINITY : 0;
    this.to = format === undefined ? Number.POSITIVE_INFINITY : 0;
  }

  /** The offset in ms at `timestampMs` (local = UTC + offset); `from` and `to` then bound its span. */
  offsetAt(timestampMs: number): number {
    return timestampMs >= this.from && timestampMs < this.to ? this.offset : this.spanAt(timestampMs);
  }

  private spanAt(timestampMs: number): number {
    if (!Number.isFinite(timestampMs)) return this.offset;
    const day = Math.floor(timestampMs / DAY_MS) * DAY_MS;
    if (day !== this.day) this.readDay(day);
    const later = timestampMs >= this.change;
    this.from = later ? this.change : day;
    this.to = later ? day + DAY_MS : this.change;
    this.offset = later ? this.after : this.before;
    return this.offset;
  }

  private readDay(day: number): void {
    const before = this.read(day);
    let lo = day;
    let hi = day + DAY_MS - 1000;
    const after = this.read(hi);
    // Offsets change on a whole second: halve the seconds between the two ends to find it.
    if (after !== before) {
      while (hi - lo > 1000) {
        const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
        if (this.read(mid) === before) lo = mid;
        else hi = mid;
      }
    } else hi = day + DAY_MS;
    this.day = day;
    this.change = hi;
    this.before = before;
    this.after = after;
  }

  private read(timestampMs: number): number {
    const t = Math.min(Math.max(timestampMs, RULES_FROM), RULES_TO);
    const f: Partial<Record<Intl.DateTimeFormatPartTypes, number>> = {};
    for (const part of this.format!.formatToParts(t)) f[part.type] = Number(part.value);
    const local = Date.UTC(f.year!, f.month! - 1, f.day!, f.hour!, f.minute!, f.second!);
    return local - Math.floor(t / 1000) * 1000;
  }
}

export const UTC = new WallClock('UTC', undefined);

/**
 * Clocks by the name they were asked for, and by the zone it resolves to: a formatter costs tens of
 * µs and about 25 kB, so every detector of a zone shares one. The runtime knows some 600 zones.
 */
const clocks = new Map<string, WallClock>();
const zones = new Map<string, WallClock>();
const CLOCKS_MAX = 1024;

/**
 * The wall clock of an IANA time zone ('America/New_York', 'UTC'), or undefined when the runtime
 * does not know the name.
 */
export function wallClock(timeZone: string): WallClock | undefined {
  const known = clocks.get(timeZone);
  if (known !== undefined) return known;
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      calendar: 'gregory',
      numberingSystem: 'latn',
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    return undefined;
  }
  const name = format.resolvedOptions().timeZone;
  let clock = name === 'UTC' ? UTC : zones.get(name);
  if (clock === undefined) {
    clock = new WallClock(name, format);
    if (zones.size < CLOCKS_MAX) zones.set(name, clock);
  }
  if (clocks.size < CLOCKS_MAX) clocks.set(timeZone, clock);
  return clock;
}

let processZone: string | undefined;

/** The process's time zone (the TZ variable's, else the system's), read once: a read costs ~0.1 ms. */
export function processTimeZone(): string {
  processZone ??= Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  return processZone;
}
