import { describe, expect, it } from 'vitest';
import { type AnomalyResult, createDetector, type DetectorOptions } from '../../../src/anomaly/index.js';
import {
  CLOCK_CHANGES,
  type ClockChange,
  DAY_POINTS,
  dailyShape,
  gaussian,
  isWeekend,
  MINUTE,
  poisson,
  prng,
  STEP,
  T0,
  wallTime,
} from './series.js';

function run(values: number[], options?: DetectorOptions): AnomalyResult[] {
  const d = createDetector(options);
  return values.map((v, i) => d.update(v, T0 + i * STEP));
}

function starts(results: AnomalyResult[], from = 0): number[] {
  const out: number[] = [];
  for (let i = from; i < results.length; i++) if (results[i]!.episodeStart) out.push(i);
  return out;
}

function noisy(n: number, level: number, sd: number, seed: number): number[] {
  const g = gaussian(prng(seed));
  return Array.from({ length: n }, () => level + sd * g());
}

/**
 * Episodes from a deploy on, as `points-after kind`: a latency gauge at 1-minute points whose noise
 * grows with the level, four days as it was, then `factor` times slower for two days.
 */
function afterDeploy(seed: number, factor: number): string[] {
  const minute = STEP / 5;
  const deploy = 4 * 1440;
  const g = gaussian(prng(seed));
  const d = createDetector();
  const after: string[] = [];
  for (let i = 0; i < deploy + 2 * 1440; i++) {
    const r = d.update(0.1 * Math.exp(0.1 * g()) * (i >= deploy ? factor : 1), T0 + i * minute);
    if (r.episodeStart && i >= deploy) after.push(`${i - deploy} ${r.kind}`);
  }
  return after;
}

describe('anomaly kinds', () => {
  it('flags a spike at the spike, with kind spike and the baseline as expected value', () => {
    const v = noisy(4000, 100, 2, 1);
    v[3000] = 160;
    const r = run(v);
    expect(starts(r, 200)).toEqual([3000]);
    expect(r[3000]!.kind).toBe('spike');
    expect(r[3000]!.anomaly).toBe(true);
    expect(r[3000]!.expected).toBeGreaterThan(98);
    expect(r[3000]!.expected).toBeLessThan(102);
    expect(r[3000]!.upper).toBeLessThan(115);
    expect(r[3000]!.severity).toBeGreaterThanOrEqual(50);
  });

  it('flags a dip with kind dip', () => {
    const v = noisy(4000, 100, 2, 2);
    v[3000] = 50;
    const r = run(v);
    expect(starts(r, 200)).toEqual([3000]);
    expect(r[3000]!.kind).toBe('dip');
    expect(r[3000]!.expected).toBeCloseTo(100, 0);
  });

  it('flags a level shift once, refines the kind to level_shift and then accepts the new level', () => {
    const v = noisy(5000, 100, 2, 3).map((x, i) => (i >= 3000 ? x + 40 : x));
    const r = run(v);
    expect(starts(r, 200)).toEqual([3000]);
    expect(r[3000]!.expected).toBeCloseTo(100, 0);
    expect(r[3003]!.ongoing).toBe(true);
    expect(r[3003]!.kind).toBe('level_shift');
    // Accepted as the new normal: the baseline follows and nothing else fires.
    expect(r[4999]!.expected).toBeGreaterThan(137);
    expect(r[4999]!.expected).toBeLessThan(143);
    expect(r.slice(3010).some((x) => x.ongoing)).toBe(false);
  });

  it('reports a deploy that doubles a latency for good once, not again as a drift once accepted', () => {
    for (const seed of [1, 2, 4]) expect(afterDeploy(seed, 2), `seed ${seed}`).toEqual(['0 spike']);
  });

  it('reports a deploy that makes a latency ten times slower once, not again for its wider noise', () => {
    // The noise grows tenfold with the level: once the step is accepted, the band must have grown too.
    for (const seed of [1, 2, 8]) expect(afterDeploy(seed, 10), `seed ${seed}`).toEqual(['0 spike']);
  });

  it('flags a fast drift (a leak) as drift', () => {
    const v = noisy(5000, 100, 2, 4).map((x, i) => (i >= 3000 ? x + 1.0 * (i - 3000) : x));
    const r = run(v);
    const s = starts(r, 200);
    expect(s.length).toBeGreaterThanOrEqual(1);
    expect(s[0]!).toBeGreaterThan(3000);
    expect(s[0]!).toBeLessThan(3100);
    expect(r[s[0]!]!.kind).toBe('drift');
  });

  it('flags a gradual build-up that the level follows, once, as drift', () => {
    // Autocorrelated noise (sd ~4.6) with a rise of 20 over 60 points, held 100 points, then gone:
    // the level follows the rise, so no single point or short mean stands out from it.
    const g = gaussian(prng(21));
    let e = 0;
    const v = Array.from({ length: 4000 }, (_, i) => {
      e = 0.9 * e + g();
      const t = i - 3000;
      const bump = t < 0 ? 0 : t < 60 ? (20 * t) / 60 : t < 160 ? 20 : t < 220 ? (20 * (220 - t)) / 60 : 0;
      return 100 + 2 * e + bump;
    });
    const r = run(v);
    const s = starts(r, 200);
    expect(s).toHaveLength(1);
    expect(s[0]).toBeGreaterThanOrEqual(3000);
    expect(s[0]).toBeLessThan(3160);
    expect(r[s[0]!]!.kind).toBe('drift');
  });

  it('holds the drift rule to the sensitivity', () => {
    // The build-up of the test above at two heights, over four seeds: a rise of 11 is a drift at
    // high sensitivity only, a rise of 15 at medium and high, and at low for one of them at most.
    const drifts = (height: number, sensitivity: 'low' | 'medium' | 'high') =>
      [21, 22, 23, 24].filter((seed) => {
        const g = gaussian(prng(seed));
        let e = 0;
        const v = Array.from({ length: 4000 }, (_, i) => {
          e = 0.9 * e + g();
          const t = i - 3000;
          const bump =
            t < 0
              ? 0
              : t < 60
                ? (height * t) / 60
                : t < 160
                  ? height
                  : t < 220
                    ? (height * (220 - t)) / 60
                    : 0;
          return 100 + 2 * e + bump;
        });
        const r = run(v, { sensitivity });
        return starts(r, 3000).some((i) => i < 3160 && r[i]!.kind === 'drift');
      }).length;
    expect([drifts(11, 'low'), drifts(11, 'medium'), drifts(11, 'high')]).toEqual([0, 0, 4]);
    expect([drifts(15, 'medium'), drifts(15, 'high')]).toEqual([4, 4]);
    // One of the seeds is at the edge for low: a rise of 17 is a drift there.
    expect(drifts(15, 'low')).toBeLessThanOrEqual(1);
  });

  it('flags a variance change as variance', () => {
    const g = gaussian(prng(5));
    const v = Array.from({ length: 4000 }, (_, i) => 100 + (i >= 3000 ? 25 : 2) * g());
    const r = run(v);
    const s = starts(r, 200);
    expect(s[0]!).toBeGreaterThanOrEqual(3000);
    expect(s[0]!).toBeLessThan(3030);
    const episode = r.slice(s[0]!, s[0]! + 40).filter((x) => x.ongoing);
    expect(episode.at(-1)!.kind).toBe('variance');
  });

  it('flags a flatline (stuck value) as flatline', () => {
    const v = noisy(4000, 100, 2, 6).map((x, i) => (i >= 3000 && i < 3200 ? 101.37 : x));
    const r = run(v);
    const s = starts(r, 200);
    expect(s.length).toBe(1);
    expect(s[0]!).toBeGreaterThan(3000);
    expect(s[0]!).toBeLessThan(3020);
    expect(r[s[0]!]!.kind).toBe('flatline');
  });

  it('flags a missing daily peak as seasonality_break once the daily profile is learned', () => {
    const rand = prng(7);
    const brokenDay = 12;
    const v = Array.from({ length: 14 * DAY_POINTS }, (_, i) => {
      const day = Math.floor(i / DAY_POINTS);
      const mean = day === brokenDay ? 20 : 20 + 80 * dailyShape(i);
      return poisson(rand, mean);
    });
    const r = run(v);
    const s = starts(r, 4 * DAY_POINTS);
    expect(s.length).toBeGreaterThanOrEqual(1);
    expect(Math.floor(s[0]! / DAY_POINTS)).toBe(brokenDay);
    expect(r[s[0]!]!.kind).toBe('seasonality_break');
    expect(r[s[0]!]!.expected).toBeGreaterThan(r[s[0]!]!.upper === 0 ? 0 : 30);
  });
});

describe('flatline on a counter', () => {
  it('flags a stuck counter even though the stuck value itself is a run of repeats', () => {
    // Poisson counts repeat a value about one time in ten; a long stuck run must not raise the
    // learned repeat rate past the point where the flatline test switches itself off.
    const rand = prng(62);
    const v: number[] = [];
    for (let i = 0; i < 4000; i++) v.push(i >= 3000 && i < 3200 ? v[i - 1]! : poisson(rand, 15));
    const r = run(v);
    const s = starts(r, 200);
    expect(s.length).toBeGreaterThanOrEqual(1);
    expect(s[0]!).toBeGreaterThan(3000);
    expect(s[0]!).toBeLessThan(3025);
    expect(r[s[0]!]!.kind).toBe('flatline');
  });

  /** Per seed 1 to 16, the episodes a detector opens on `points` one-minute values of a gauge. */
  function seededEpisodes(points: number, gauge: (i: number, noise: () => number) => number) {
    return Array.from({ length: 16 }, (_, k) => {
      const noise = gaussian(prng(k + 1));
      const d = createDetector();
      const opened: { at: number; kind: string }[] = [];
      for (let i = 0; i < points; i++) {
        const r = d.update(gauge(i, noise), T0 + i * MINUTE);
        if (r.episodeStart) opened.push({ at: i, kind: r.kind! });
      }
      return opened;
    });
  }

  it('reports an exporter stuck for hours once, and not again when its gauge moves on', () => {
    // A gauge around 100 that repeats its last value for four hours, then moves as before: the
    // run's surprise must not carry over into the first minutes after it.
    const stuckFrom = 3 * 1440;
    let last = 100;
    // Through the run and the hour after it.
    const runs = seededEpisodes(stuckFrom + 300, (i, noise) => {
      if (i < stuckFrom || i >= stuckFrom + 240) last = 100 + 5 * noise();
      return last;
    });
    const kinds = runs.map((opened) =>
      opened
        .filter((e) => e.at >= stuckFrom)
        .map((e) => e.kind)
        .join(','),
    );
    expect(kinds).toEqual(Array(16).fill('flatline'));
  });

  it('reports an exporter stuck a second time, as soon as the first time, after it came back', () => {
    // Stuck four hours, moving again, then stuck again later that day or the next: the first run,
    // learned as how long the series keeps still, left the second unreported (0 of 16 runs).
    const first = 3 * 1440;
    const seconds: string[] = [];
    for (const gap of [240, 1440]) {
      const second = first + 240 + gap;
      let last = 100;
      // Through the run and the hour after it.
      const runs = seededEpisodes(second + 300, (i, noise) => {
        if ((i < first || i >= first + 240) && (i < second || i >= second + 240)) last = 100 + 5 * noise();
        return last;
      });
      for (const opened of runs) {
        const after = opened.filter((e) => e.at >= second);
        seconds.push(after.map((e) => `${e.kind}${e.at - second > 30 ? ' (late)' : ''}`).join(','));
      }
    }
    expect(seconds).toEqual(Array(32).fill('flatline'));
  });

  it('takes a gauge that holds still every night from the first for quiet after two nights', () => {
    // A cache's size, constant from midnight to six every night, the detector started at noon: the
    // first night is reported as stuck, having never been seen, as is the second, which an exporter
    // stuck again at the same hour would be too; from then on it is how the series keeps still. The
    // nights reported as stuck were never taken for its quiet spells: every night was reported.
    const reported: number[] = [];
    for (const step of [1, 5]) {
      const perDay = 1440 / step;
      const runs = Array.from({ length: 16 }, (_, k) => {
        const noise = gaussian(prng(k + 1));
        const d = createDetector();
        const nights = new Set<number>();
        let last = 0;
        for (let i = 0; i < 8 * perDay; i++) {
          const at = i + perDay / 2;
          if (at % perDay >= perDay / 4) last = Math.round(1000 + 20 * noise());
          const r = d.update(last, T0 + at * step * MINUTE);
          if (r.episodeStart && r.kind === 'flatline') nights.add(Math.floor(at / perDay));
        }
        return nights.size;
      });
      reported.push(...runs);
    }
    expect(reported).toEqual(Array(32).fill(2));
  });

  it('does not take a gauge held at its ceiling every afternoon for a stuck one', () => {
    // CPU % under a daily load, pinned at 100 for an hour or two every afternoon: the same value
    // again at the bound it reached the day before is how the series is, not a stuck exporter.
    const runs = seededEpisodes(5 * 1440, (i, noise) =>
      Math.min(100, Math.max(0, 20 + 85 * dailyShape(Math.floor(i / 5)) + 4 * noise())),
    );
    const flats = runs.map((opened) =>
      opened
        .filter((e) => e.kind === 'flatline')
        .map((e) => Math.floor(e.at / 1440))
        .join(','),
    );
    expect(flats).toEqual(Array(16).fill(''));
  });
});

describe('no alerts on normal behaviour', () => {
  it('stays quiet on a flat series with noise', () => {
    expect(starts(run(noisy(20_000, 100, 5, 11)))).toEqual([]);
  });

  it('stays quiet on a daily pattern with quiet nights once the seasonality is learned', () => {
    const rand = prng(12);
    const v = Array.from({ length: 21 * DAY_POINTS }, (_, i) => poisson(rand, 2 + 200 * dailyShape(i)));
    expect(starts(run(v), 3 * DAY_POINTS)).toEqual([]);
  });

  it('stays quiet on a weekly pattern with quiet weekends once the seasonality is learned', () => {
    const rand = prng(13);
    const v = Array.from({ length: 35 * DAY_POINTS }, (_, i) =>
      poisson(rand, isWeekend(i) ? 5 + 20 * dailyShape(i) : 5 + 150 * dailyShape(i)),
    );
    expect(starts(run(v), 21 * DAY_POINTS)).toEqual([]);
  });

  it('stays quiet on a slow planned ramp', () => {
    const v = noisy(20_000, 100, 3, 14).map((x, i) => x + 0.01 * i); // +200 % over ~70 days
    expect(starts(run(v))).toEqual([]);
  });

  it('stays quiet on sparse counts with busier stretches, and still flags a real burst', () => {
    // Mostly 0-1 events, one point in twenty a busier stretch (mean 2.5): the typical error is a
    // fraction of an event, yet a 3 or a 4 is ordinary for this series.
    for (const seed of [21, 22, 23, 24]) {
      const rand = prng(seed);
      const v = Array.from({ length: 20_000 }, () => poisson(rand, rand() < 0.05 ? 2.5 : 0.3));
      expect(starts(run(v)).length).toBeLessThanOrEqual(1);
      v[15_000] = 40;
      expect(starts(run(v), 14_990)).toContain(15_000);
    }
  });

  it('stays quiet on sparse low traffic (Poisson counts, mean 0.5)', () => {
    const rand = prng(15);
    const v = Array.from({ length: 20_000 }, () => poisson(rand, 0.5));
    expect(starts(run(v))).toEqual([]);
  });
});

describe('the wall clock of a time zone', () => {
  const DAY_MS = DAY_POINTS * STEP;
  const wallHour = (wall: number) => (wall % DAY_MS) / (60 * MINUTE);
  /** Means by the time on the wall clock of the users: a daily shape, business hours, quiet weekends. */
  const daily = (wall: number) => 2 + 200 * dailyShape((wall % DAY_MS) / STEP);
  const business = (wall: number) => (wallHour(wall) >= 9 && wallHour(wall) < 18 ? 200 : 0);
  const weekdays = (wall: number) => {
    // The epoch was a Thursday.
    const weekend = (Math.floor(wall / DAY_MS) + 3) % 7 >= 5;
    return 5 + (weekend ? 20 : 150) * dailyShape((wall % DAY_MS) / STEP);
  };

  /** The same zone at its offset before the change, for good: `Etc/GMT+5` is five hours behind UTC. */
  function withoutChange(change: ClockChange): ClockChange {
    const sign = change.before > 0 ? '-' : '+';
    return { ...change, zone: `Etc/GMT${sign}${Math.abs(change.before)}`, after: change.before };
  }

  /**
   * Episodes in the week after each clock change of 16 seeded series learned at five-minute points
   * from midnight UTC `days` before its day, with the time on the users' wall clock at which they
   * start.
   */
  function afterClockChange(
    days: number,
    options: DetectorOptions,
    mean: (wall: number, change: ClockChange) => number,
    changes: readonly ClockChange[] = CLOCK_CHANGES,
  ): string[] {
    const heard: string[] = [];
    for (const change of changes) {
      for (let seed = 1; seed <= 16; seed++) {
        const d = createDetector({ ...options, timeZone: change.zone });
        const rand = prng(seed);
        const from = (Math.floor(change.at / DAY_MS) - days) * DAY_MS;
        for (let t = from; t < change.at + 7 * DAY_MS; t += STEP) {
          const wall = wallTime(change, t);
          const r = d.update(poisson(rand, mean(wall, change)), t);
          if (!r.episodeStart || t < change.at) continue;
          const on = new Date(change.at).toISOString().slice(0, 10);
          heard.push(`${on} seed ${seed}: ${r.kind} at ${new Date(wall).toISOString()} on the wall clock`);
        }
      }
    }
    return heard;
  }

  // Bucketed on UTC, the profiles met the morning, the evening and the opening and closing hours an
  // hour early or late after each change: 23 to 28 episodes in 16 series of a daily shape, 76 to 155
  // of business hours, and 8 in the 64 series with quiet weekends, which had 1 without the change.
  it('stays quiet on a daily pattern of local time after the clocks change', () => {
    expect(afterClockChange(14, {}, daily)).toEqual([]);
  });

  it('stays quiet on business hours of local time after the clocks change', () => {
    expect(afterClockChange(14, {}, business)).toEqual([]);
  });

  it('reports no more on quiet weekends of local time after the clocks change than without it', () => {
    const weekly = { seasonality: 'weekly' } as const;
    const unchanged = afterClockChange(28, weekly, weekdays, CLOCK_CHANGES.map(withoutChange));
    expect(afterClockChange(28, weekly, weekdays).length).toBeLessThanOrEqual(unchanged.length);
  });

  it('reports an outage in business hours after the clocks change, while it lasts', () => {
    // Out from 11:00 to 13:00 on the wall clock, three days after the change.
    const outageDay = (change: ClockChange) => Math.floor(wallTime(change, change.at) / DAY_MS) + 3;
    const heard = afterClockChange(14, {}, (wall, change) =>
      Math.floor(wall / DAY_MS) === outageDay(change) && wallHour(wall) >= 11 && wallHour(wall) < 13
        ? 0
        : business(wall),
    );
    const inOutage = heard.filter((line) => /T1[12]:\d\d:00.000Z on the wall clock$/.test(line));
    // Each of the 16 series of each change, named by its change and seed.
    expect(new Set(inOutage.map((line) => line.split(':')[0])).size).toBe(4 * 16);
  });
});

describe('outages', () => {
  it('flags a drop to zero, keeps it flagged until it recovers, then clears', () => {
    const rand = prng(21);
    const v = Array.from({ length: 4000 }, (_, i) => (i >= 3000 && i < 3300 ? 0 : poisson(rand, 50)));
    const r = run(v);
    expect(starts(r, 200)).toEqual([3000]);
    for (let i = 3000; i < 3300; i++) {
      expect(r[i]!.anomaly).toBe(true);
      expect(r[i]!.score).toBeGreaterThanOrEqual(0.5);
    }
    // The outage is not learned as the new normal.
    expect(r[3299]!.expected).toBeGreaterThan(45);
    expect(r.slice(3305).some((x) => x.anomaly || x.ongoing)).toBe(false);
  });
});

/**
 * Episodes of `seeds` seeded series of orders a minute (Poisson around `mean(i)`) halving (or
 * falling to `kept` of the mean) for half an hour (or `minutes`) from 14:00 on their third day, as
 * `seed n` and `before`, `fall` or `after` the fall.
 */
function episodesAroundHalving(mean: (i: number) => number, seeds = 8, kept = 0.5, minutes = 30): string[] {
  const minute = STEP / 5;
  const from = 2 * 1440 + 14 * 60;
  const heard: string[] = [];
  for (let seed = 1; seed <= seeds; seed++) {
    const rand = prng(seed);
    const d = createDetector();
    for (let i = 0; i < from + minutes + 180; i++) {
      const r = d.update(
        poisson(rand, i >= from && i < from + minutes ? mean(i) * kept : mean(i)),
        T0 + i * minute,
      );
      if (r.episodeStart && i >= 120) {
        heard.push(`seed ${seed} ${i < from ? 'before' : i < from + minutes ? 'fall' : 'after'}`);
      }
    }
  }
  return heard;
}

describe('a partial fall', () => {
  const everySeed = [1, 2, 3, 4, 5, 6, 7, 8].map((seed) => `seed ${seed} fall`);

  it('reports orders halving for half an hour against the level before it, and not their return', () => {
    // 25 orders a minute: each minute of the fall is only about 2.5 Poisson standard deviations
    // low, and the level follows the fall, so the short mean against the long-run reference is
    // the evidence.
    expect(episodesAroundHalving(() => 25)).toEqual(everySeed);
  });

  it('reports orders with a daily pattern halving for half an hour, which the level follows', () => {
    // 8 to 42 a minute over the day: the daily swing hides the fall from the long-run reference,
    // and the level, which follows the swing, takes up much of the fall within minutes.
    const daily = (i: number) => Math.max(0, Math.sin(Math.PI * (((i % 1440) / 1440) * 1.25 - 0.15))) ** 2;
    expect(episodesAroundHalving((i) => 25 * (0.3 + 1.4 * daily(i)))).toEqual(everySeed);
  });

  it('reports orders falling by 30 % for an hour against the level before it', () => {
    // Each minute is only 1.5 Poisson standard deviations low, under the band of a single minute:
    // the short mean's gap to the long-run reference, many times its usual one, is the evidence.
    const heard = episodesAroundHalving(() => 25, 16, 0.7, 60);
    expect(heard.filter((line) => !line.endsWith(' fall'))).toEqual([]);
    expect(heard.length).toBeGreaterThanOrEqual(12);
  });
});

describe('series that are usually at zero', () => {
  it('reports a skipped nightly batch once, as a seasonality break, and does not hold it as an outage', () => {
    // A job's output: zero all day except twelve points at the same time each night; on day 10 the
    // job does not run. Zero is this series' usual value, so the missing batch is one alert, not an
    // outage held (and learning frozen) for as long as the batch was expected.
    for (const seed of [1, 2, 3, 4]) {
      const rand = prng(seed);
      const v = Array.from({ length: DAY_POINTS * 14 }, (_, i) => {
        const slot = i % DAY_POINTS;
        const skipped = Math.floor(i / DAY_POINTS) === 10;
        return slot >= 100 && slot < 112 && !skipped ? 2 + rand() : 0;
      });
      const r = run(v);
      const batch = DAY_POINTS * 10 + 100;
      const inBatch = starts(r, batch).filter((i) => i < batch + 12);
      expect(inBatch.length).toBe(1);
      expect(r[inBatch[0]!]!.kind).toBe('seasonality_break');
      expect(r.filter((x) => x.anomaly && !x.episodeStart).length).toBe(0);
    }
  });
});

describe('series that are idle every night, at 1-minute steps', () => {
  const minute = STEP / 5;
  const day = 1440;

  it('does not hold a business-hours counter as an outage or a flatline through the night', () => {
    // Orders 09:00-18:00, none at night: once the first nights are seen, a night is the usual shape.
    for (const seed of [1, 2]) {
      const rand = prng(seed);
      const d = createDetector();
      for (let i = 0; i < 14 * day; i++) {
        const m = i % day;
        const r = d.update(m >= 9 * 60 && m < 18 * 60 ? poisson(rand, 40) : 0, T0 + i * minute);
        const night = m >= 19 * 60 || m < 9 * 60;
        if (i >= 2 * day && night) expect(r.ongoing, `day ${Math.floor(i / day)} minute ${m}`).toBe(false);
      }
    }
  });

  it('takes the daily pattern of a business-hours counter as its baseline after the first days', () => {
    // Orders 09:00-18:00, none at night: a flat baseline reports every opening and closing, each
    // as an incident, as long as it stays in use.
    const heard: string[] = [];
    for (const seed of [1, 2, 3]) {
      const rand = prng(seed);
      const d = createDetector();
      for (let i = 0; i < 8 * day; i++) {
        const m = i % day;
        const r = d.update(m >= 9 * 60 && m < 18 * 60 ? poisson(rand, 40) : 0, T0 + i * minute);
        if (r.episodeStart && i >= 3 * day)
          heard.push(`seed ${seed} day ${Math.floor(i / day)} minute ${m} ${r.kind}`);
      }
    }
    expect(heard).toEqual([]);
  });

  /**
   * Episodes from `fromDay` on of 16 seeded series of orders a minute from 09:00 to 18:00 (Poisson
   * around 40), none at night, as `seed n day d h:mm`; `mean` gives another mean for a minute of a day
   * where it returns one.
   */
  function businessEpisodes(
    days: number,
    fromDay: number,
    mean: (day: number, minute: number) => number | undefined = () => undefined,
  ): string[] {
    const heard: string[] = [];
    for (let seed = 1; seed <= 16; seed++) {
      const rand = prng(seed);
      const d = createDetector();
      for (let i = 0; i < days * day; i++) {
        const m = i % day;
        const usual = m >= 9 * 60 && m < 18 * 60 ? 40 : 0;
        const r = d.update(poisson(rand, mean(Math.floor(i / day), m) ?? usual), T0 + i * minute);
        if (!r.episodeStart || i < fromDay * day) continue;
        heard.push(
          `seed ${seed} day ${Math.floor(i / day)} ${Math.floor(m / 60)}:${String(m % 60).padStart(2, '0')}`,
        );
      }
    }
    return heard;
  }

  it('stays quiet on business hours once its daily profile is in use', () => {
    expect(businessEpisodes(11, 4)).toEqual([]);
  });

  it('reports an outage in business hours within minutes, also right after a reported surge', () => {
    // Orders twice as many for a quarter hour from 10:00 or 10:15 on day 4, then none from 11:00 to
    // 13:00. The surge's report started a cooldown of 100 points, which held the outage back for 40
    // to 55 minutes, or past its end on 6 of 16 series: in a series at zero every night a zero was
    // no outage, and outages alone went through the cooldown.
    const everySeed = Array.from({ length: 16 }, (_, i) => `seed ${i + 1}`);
    for (const surge of [10 * 60, 10 * 60 + 15]) {
      const heard = businessEpisodes(5, 4, (d, m) =>
        d !== 4 ? undefined : m >= 11 * 60 && m < 13 * 60 ? 0 : m >= surge && m < surge + 15 ? 80 : undefined,
      );
      const inFirstQuarterHour = heard.filter((line) => / 11:(0\d|1[0-4])$/.test(line));
      expect(inFirstQuarterHour.map((line) => line.split(' day')[0])).toEqual(everySeed);
    }
  });

  it('stays quiet on a counter with a daily shape that is zero for hours each night', () => {
    const shape = (i: number) => Math.max(0, Math.sin(Math.PI * (((i % day) / day) * 1.25 - 0.15))) ** 2;
    for (const seed of [1, 2]) {
      const rand = prng(seed);
      const d = createDetector();
      for (let i = 0; i < 14 * day; i++) {
        const r = d.update(poisson(rand, 300 * shape(i)), T0 + i * minute);
        if (i >= 7 * day) expect(r.episodeStart, `day ${Math.floor(i / day)} minute ${i % day}`).toBe(false);
      }
    }
  });
});

describe('after a burst', () => {
  it('does not take the return to normal after an accepted burst for an outage', () => {
    // The burst is accepted as the new level after a few points; the drop back to 50 is ~1 % of
    // that level, but not an outage: it must not be held flagged (and frozen) for good.
    const rand = prng(22);
    const v = Array.from({ length: 5000 }, (_, i) => poisson(rand, i >= 3000 && i < 3030 ? 5000 : 50));
    const r = run(v);
    // One alert for the burst; the old level comes back at once instead of being crawled back
    // to (which used to end in a second, 'drift' alert 70 points later).
    expect(starts(r, 2900)).toEqual([3000]);
    expect(r.slice(3030).filter((x) => x.anomaly).length).toBe(0);
    expect(r[3040]!.expected).toBeLessThan(60);
  });

  it('follows a series back to its level after a burst it took as its level, however long', () => {
    // A burst to a hundred times the level (a p95 at 30 ms to 6 s, a gauge at 50 to 5000, a counter
    // at 50 a minute to 5000) or to a hundredth of it, for two hours or, with the engine's short
    // cooldown, for a quarter hour. The burst was accepted as the new level, or taken in two
    // steps, and the return to normal was then an outage, held and never learned: the burst's level
    // stayed the baseline and every point back at the old one was flagged, for the 600 points fed,
    // on 8 of 8 runs of the p95 and of the gauge for two hours, 6 of 8 of the p95 for a quarter hour
    // (the fall and the counter came back).
    const shapes: [string, number, number, (rand: () => number, g: () => number, level: number) => number][] =
      [
        ['latency', 0.03, 6, (_rand, g, level) => level * Math.exp(0.1 * g())],
        ['gauge up', 50, 5000, (_rand, g, level) => level * (1 + 0.02 * g())],
        ['gauge down', 50, 0.5, (_rand, g, level) => level * (1 + 0.02 * g())],
        ['counter', 50, 5000, (rand, _g, level) => poisson(rand, level)],
      ];
    const runs: [number, DetectorOptions][] = [
      [120, {}],
      [15, { cooldown: 3 }],
    ];
    const stuck: string[] = [];
    for (const [name, level, burstLevel, value] of shapes) {
      for (const [minutes, options] of runs) {
        for (let seed = 1; seed <= 8; seed++) {
          const rand = prng(seed);
          const g = gaussian(rand);
          const d = createDetector({ direction: 'both', ...options });
          const back = 2 * 1440 + minutes;
          let late = 0;
          for (let i = 0; i < back + 600; i++) {
            const r = d.update(
              value(rand, g, i >= back - minutes && i < back ? burstLevel : level),
              T0 + i * MINUTE,
            );
            // The level may come back through its clipped steps, within about three hours.
            const far = Math.abs(Math.log(r.expected / level)) > Math.log(2);
            if (i >= back + 250 && (far || r.anomaly)) late++;
          }
          if (late > 0) stuck.push(`${name}, ${minutes} min, seed ${seed}: ${late}`);
        }
      }
    }
    expect(stuck).toEqual([]);
  });

  it('follows a series back to its level after a burst of eight hours or more, the same day', () => {
    // A p95 at 30 ms at 6 s, or a gauge at 50 at 5000, for 8, 10 or 20 hours, then exactly as
    // before: past the window in which a return undoes the level taken from the burst, the return
    // was an outage held for good, every point flagged against the burst's level (the p95 from 8
    // hours on 16 of 16 runs, the gauge from 15 hours). It is reported once, then followed back
    // within four hours of its return; a fall to nothing after such a burst is still held.
    const shapes: [string, number, number, (rand: () => number, g: () => number, level: number) => number][] =
      [
        ['latency', 0.03, 6, (_rand, g, level) => level * Math.exp(0.1 * g())],
        ['gauge', 50, 5000, (_rand, g, level) => level * (1 + 0.02 * g())],
        ['counter to 0', 50, 5000, (rand, _g, level) => poisson(rand, level)],
      ];
    const wrong: string[] = [];
    for (const [name, level, burstLevel, value] of shapes) {
      for (const hours of [8, 10, 20]) {
        let followed = 0;
        for (let seed = 1; seed <= 16; seed++) {
          const rand = prng(seed);
          const g = gaussian(rand);
          const d = createDetector({ direction: 'both' });
          const back = 2 * 1440 + hours * 60;
          let late = 0;
          for (let i = 0; i < back + 600; i++) {
            const now =
              i < back - hours * 60 ? level : i < back ? burstLevel : name === 'counter to 0' ? 0 : level;
            const r = d.update(value(rand, g, now), T0 + i * MINUTE);
            const far = Math.abs(Math.log(r.expected / level)) > Math.log(2);
            if (i >= back + 240 && (far || r.anomaly)) late++;
          }
          if (late === 0) followed++;
        }
        wrong.push(`${name}, ${hours} h: followed back on ${followed}`);
      }
    }
    expect(wrong).toEqual(
      shapes.flatMap(([name]) =>
        [8, 10, 20].map((h) => `${name}, ${h} h: followed back on ${name === 'counter to 0' ? 0 : 16}`),
      ),
    );
  });

  it('holds an outage of a service that rose a hundredfold a day or days before as an outage', () => {
    // 5 orders a minute for six days (a beta), then 500 a minute from a launch, then, a day or three
    // days later, two hours at a trickle (2 or 5 a minute, what still gets through). The long-run
    // reference follows a step up over weeks: against it the trickle was no outage, and the fall
    // was flagged on 21 to 65 of its 120 minutes, or, at 5 a minute a day after the launch, taken
    // for the new level within 20 minutes and flagged on at most 7 (48 of these 64 runs).
    const minute = STEP / 5;
    const short: string[] = [];
    for (const trickle of [2, 5]) {
      for (const days of [1, 3]) {
        for (let seed = 1; seed <= 16; seed++) {
          const rand = prng(seed);
          const d = createDetector();
          const from = (6 + days) * 1440 + 600;
          let flagged = 0;
          for (let i = 0; i < from + 120; i++) {
            const fell = i >= from;
            const r = d.update(poisson(rand, fell ? trickle : i < 6 * 1440 ? 5 : 500), T0 + i * minute);
            if (fell && r.anomaly) flagged++;
          }
          if (flagged < 90) short.push(`${trickle} a minute, ${days} d, seed ${seed}: ${flagged}`);
        }
      }
    }
    expect(short).toEqual([]);
  });

  it('reports a campaign peak of hours on a daily pattern once, not again when it ends', () => {
    // Orders with a daily shape at a point a minute for ten days, then three times as many from
    // noon to 18:00 (a campaign, a month-end): the peak is taken for the level after a few points,
    // and its end, hours later, was reported as a drift on 16 of 16 runs, as the level before it
    // was restored only within an hour of taking it; now on 4.
    const peak = 10 * 1440 + 12 * 60;
    const heard: string[] = [];
    let peaks = 0;
    for (let seed = 1; seed <= 16; seed++) {
      const rand = prng(seed);
      const d = createDetector();
      for (let i = 0; i < peak + 2 * 1440; i++) {
        const usual = 2 + 40 * dailyShape((i % 1440) / 5);
        const r = d.update(poisson(rand, i >= peak && i < peak + 360 ? 3 * usual : usual), T0 + i * MINUTE);
        if (!r.episodeStart || i < peak) continue;
        if (i < peak + 10) peaks++;
        else heard.push(`seed ${seed}: ${r.kind} ${i - peak} min after the peak began`);
      }
    }
    expect(peaks).toBe(16);
    // The runs left are those that follow the day with the flat level, not the daily profile.
    expect(heard.length).toBeLessThanOrEqual(4);
  });

  it('reports orders tripling again minutes after a campaign peak it took for the level ends', () => {
    // A campaign triples the orders from 09:00 to noon, taken for the level and undone at its end;
    // five minutes later they triple again for ten minutes (a second push): no episode could start
    // for 30 points after the undo, so this was reported on none of 16 runs; alone, on all of them.
    const start = 10 * 1440 + 9 * 60;
    const end = start + 180;
    const missed: string[] = [];
    let reported = 0;
    for (let seed = 1; seed <= 16; seed++) {
      const rand = prng(seed);
      const d = createDetector();
      let seen = false;
      let atEnd = false;
      for (let i = 0; i < end + 60; i++) {
        const usual = 2 + 40 * dailyShape((i % 1440) / 5);
        const surge = (i >= start && i < end) || (i >= end + 5 && i < end + 15);
        const value = poisson(rand, surge ? 3 * usual : usual);
        const r = d.update(value, T0 + i * MINUTE);
        if (!r.episodeStart || i < end) continue;
        if (i < end + 5) atEnd = true;
        else if (i < end + 20 && value > r.expected) seen = true;
      }
      if (seen) reported++;
      // The runs that follow the day with the flat level report the peak's end and are then in
      // their cooldown (see Known limits).
      else if (!atEnd) missed.push(`seed ${seed}`);
    }
    expect(missed).toEqual([]);
    expect(reported).toBeGreaterThanOrEqual(12);
  });

  it('reports a latency doubling three hours after a short burst it undid, as without the burst', () => {
    // A p95 at 30 ms jumps to 6 s for 15 minutes: the jump is accepted as the new level, with its
    // noise scale widened to the new level's, and undone when the latency comes back. The widened
    // scale stayed (a band 13 times as wide after the return, twice after five hours), so a
    // doubling three hours later went unreported on 16 of 16 runs; without the burst, on none.
    const minute = STEP / 5;
    const missed: number[] = [];
    for (let seed = 1; seed <= 16; seed++) {
      const g = gaussian(prng(seed));
      const d = createDetector({ direction: 'both' });
      const burst = 2 * 1440;
      const rise = burst + 15 + 180;
      let reported = false;
      for (let i = 0; i < rise + 30; i++) {
        const level = i >= burst && i < burst + 15 ? 6 : i >= rise ? 0.06 : 0.03;
        const r = d.update(level * Math.exp(0.1 * g()), T0 + i * minute);
        if (r.episodeStart && i >= rise) reported = true;
      }
      if (!reported) missed.push(seed);
    }
    expect(missed).toEqual([]);
  });
});

describe('new extremes', () => {
  it('does not let a spike from months ago mask a new one that is smaller but far outside the band', () => {
    // Hourly gauge: a spike to 200 on day 12, then one to 130 on day 120. The old maximum is
    // history; the second spike is 15 sigmas out and must alert at once, as a spike.
    const hour = 3_600_000;
    const v = noisy(24 * 130, 100, 2, 31);
    v[24 * 12] = 200;
    v[24 * 120] = 130;
    const d = createDetector();
    const r = v.map((x, i) => d.update(x, T0 + i * hour));
    expect(starts(r, 200)).toEqual([24 * 12, 24 * 120]);
    expect(r[24 * 120]!.kind).toBe('spike');
    expect(r[24 * 120]!.score).toBeGreaterThanOrEqual(0.9);
  });
});

describe('robust input handling', () => {
  it('never throws on NaN, Infinity, non-numbers, gaps and repeated or out-of-order timestamps', () => {
    const d = createDetector();
    const g = gaussian(prng(31));
    let t = T0;
    for (let i = 0; i < 3000; i++) {
      t += i % 97 === 0 ? 50 * STEP : i % 13 === 0 ? 0 : i % 29 === 0 ? -STEP : STEP;
      const r = d.update(10 + g(), t);
      expect(Number.isFinite(r.score)).toBe(true);
    }
    for (const bad of [
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      '5',
      null,
      undefined,
    ]) {
      const r = d.update(bad as number, t);
      expect(r.anomaly).toBe(false);
      expect(r.score).toBe(0);
      expect(r.kind).toBeNull();
    }
    expect(() => d.update(10, Number.NaN)).not.toThrow();
    d.reset();
    expect(d.update(10, t).expected).toBeCloseTo(10, 9);
  });

  it('keeps a bounded state: typed arrays under 8 KB, independent of stream length', () => {
    const d = createDetector();
    const before = d.stateBytes;
    const g = gaussian(prng(32));
    for (let i = 0; i < 50_000; i++) d.update(100 + g(), T0 + i * STEP);
    expect(d.stateBytes).toBe(before);
    expect(d.stateBytes).toBeLessThan(8192);
    expect(d.stateBytes).toBeGreaterThan(3000);
  });

  it('is online: results for a shared prefix do not depend on later points', () => {
    const a = noisy(3000, 50, 3, 33);
    const b = a.slice(0, 2000).concat(noisy(1000, 500, 30, 34));
    // No cooldown, so the jump at 2000 alerts whatever happened just before it.
    const ra = run(a, { cooldown: 0 });
    const rb = run(b, { cooldown: 0 });
    expect(rb.slice(0, 2000)).toEqual(ra.slice(0, 2000));
    expect(rb[2000]!.anomaly).toBe(true);
    expect(ra[2000]!.anomaly).toBe(false);
  });

  it('makes anomaly equivalent to score >= 0.5', () => {
    const v = noisy(6000, 100, 2, 35).map((x, i) => (i % 1000 === 999 ? x + 50 : x));
    for (const r of run(v)) expect(r.anomaly).toBe(r.score >= 0.5);
  });

  it('respects direction', () => {
    const v = noisy(4000, 100, 2, 36);
    v[3000] = 40;
    expect(starts(run(v, { direction: 'up' }), 200)).toEqual([]);
    expect(starts(run(v, { direction: 'down' }), 200)).toEqual([3000]);
  });

  it('takes a latency in seconds as it takes it in milliseconds with the log transform', () => {
    // Latency noise grows with the level, which the log transform undoes in any unit; a deploy
    // triples the latency at point 3000.
    for (const seed of [1, 3]) {
      const g = gaussian(prng(seed));
      const ms = Array.from({ length: 4000 }, (_, i) => 80 * Math.exp(0.3 * g()) * (i >= 3000 ? 3 : 1));
      const options = { transform: 'log', direction: 'up' } as const;
      const inMs = starts(run(ms, options), 200);
      expect(inMs).toHaveLength(1);
      expect(inMs[0]).toBeGreaterThanOrEqual(3000);
      expect(inMs[0]).toBeLessThan(3050);
      expect(
        starts(
          run(
            ms.map((v) => v / 1000),
            options,
          ),
          200,
        ),
        `seed ${seed}`,
      ).toEqual(inMs);
    }
  });

  it('ignores deviations below the impact floor', () => {
    const v = noisy(4000, 1000, 1, 37);
    v[3000] = 1060; // 60 sigma, but only 6 % of the level
    expect(starts(run(v), 200)).toEqual([]);
    expect(starts(run(v, { minRelativeImpact: 0.05 }), 200)).toEqual([3000]);
  });
});

describe('recurring outliers', () => {
  it('alerts on the first clusters of outliers, less on their daily repeats, and on a larger one', () => {
    // Each day from day 3, three 10-sigma outliers eight points apart; on day 11 they are twice as large.
    let repeats = 0;
    for (const seed of [31, 32, 33, 34]) {
      const v = noisy(12 * DAY_POINTS, 100, 2, seed);
      for (let day = 3; day < 12; day++) {
        for (let k = 0; k < 3; k++) v[day * DAY_POINTS + 100 + 8 * k] = day === 11 ? 140 : 120;
      }
      const s = starts(run(v));
      expect(s).toContain(3 * DAY_POINTS + 100);
      expect(s).toContain(11 * DAY_POINTS + 100);
      repeats += s.filter((i) => i > 4 * DAY_POINTS && i < 11 * DAY_POINTS).length;
    }
    // Seven repeats per seed, 28 in all: 23 raised an alert before outliers were compared with
    // the record of recent ones, 17 now (the rest come from the window average after a cluster).
    expect(repeats).toBeLessThanOrEqual(19);
  });

  it('does not report a burst of the usual spikes again, as variance, at the calm points after it', () => {
    // 100 +- 5 with a +8 to +12 sigma spike every 20 to 80 points; three in ten are bursts of 3 to 6.
    let late = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const rand = prng(seed);
      const g = gaussian(rand);
      const v: number[] = [];
      const burstEnds: number[] = [];
      for (let next = 200; v.length < 3000; ) {
        while (v.length < next) v.push(100 + 5 * g());
        const burst = rand() < 0.3 ? 3 + Math.floor(rand() * 4) : 1;
        for (let b = 0; b < burst; b++) v.push(100 + 40 + 20 * rand() + 5 * g());
        burstEnds.push(v.length);
        next = v.length + 20 + Math.floor(rand() * 60);
      }
      const results = run(v);
      for (const i of starts(results)) {
        const after = burstEnds.filter((e) => e <= i).at(-1) ?? -Infinity;
        if (results[i]!.kind === 'variance' && Math.abs(v[i]! - 100) < 10 && i - after < 25) late++;
      }
    }
    // The spikes count as ordinary in the variance test only at the size their surprise is capped
    // to; at full size, 23 such alerts came within 24 points after the bursts.
    expect(late).toBeLessThanOrEqual(2);
  });

  it("does not take each of a route's lone errors for a spike once they recur, after an error-free start", () => {
    // One request in twelve failing in about one minute in eight, never two: the record of recent
    // outliers fades a little with every minute, and the next lone error, the same value, exceeded
    // it by a tenth of a percent, so each opened an episode (581 over these 24 runs).
    expect(loneErrorSpikes((rand) => (rand() < 0.12 ? 1 : 0))).toEqual([]);
  });

  it("does not take a route's lone errors for spikes, one after another, after a minute with two", () => {
    // One request in a hundred failing: now and then a minute has two errors, an episode whose value
    // is held out of the extremes for a day, and a lone error, exactly half as far out, fell short of
    // half of it by a rounding error, so it was a new extreme; its episode held it out in turn, and
    // the next was one again (23 spikes on 6 of these 24 runs).
    const failed = (rand: () => number) => Array.from({ length: 12 }, rand).filter((u) => u < 0.01).length;
    expect(loneErrorSpikes(failed)).toEqual([]);
  });

  it("does not take each of a route's lone errors for a spike for a day after a burst of them", () => {
    // One request in two failing for five minutes, then one in twelve in about one minute in eight:
    // the burst's values were held out of the extremes for a day, each lone error was a new extreme
    // beside them, and its episode held it out in turn, so the next was one again (75 spikes on 13
    // of these 24 runs, up to 9 in a run).
    expect(loneErrorSpikes((rand, minute) => (minute < 125 ? 6 : rand() < 0.12 ? 1 : 0))).toEqual([]);
  });
});

/**
 * Spikes the detector opens on a minute with one error, from the second hour of errors on, per
 * seed: the error rate of a route at 12 requests a minute, watched as the engine watches an error
 * rate, two error-free hours, then six in which `failed(rand, minute)` requests fail each minute.
 */
function loneErrorSpikes(failed: (rand: () => number, minute: number) => number): string[] {
  const options = { direction: 'up', transform: 'none', cooldown: 3 } as const;
  const out: string[] = [];
  for (let seed = 1; seed <= 24; seed++) {
    const rand = prng(seed);
    const d = createDetector(options);
    const v = Array.from({ length: 120 + 360 }, (_, i) => (i < 120 ? 0 : failed(rand, i) / 12));
    const results = v.map((x, i) => d.update(x, T0 + i * MINUTE));
    const late = starts(results, 180).filter((i) => v[i] === 1 / 12 && results[i]!.kind === 'spike');
    if (late.length > 0) out.push(`seed ${seed}: ${late.length}`);
  }
  return out;
}

/**
 * A queue's depth once a minute for three days: mostly 0, with a burst (10 to 49 jobs) starting in
 * about one minute in thirty and drained within one to three minutes, so bursts bunch up by
 * chance; then, from the third day on, `after` gives the depth instead when it returns a number.
 */
function queueDepth(seed: number, after: (minute: number, rand: () => number) => number | undefined) {
  const rand = prng(seed);
  const depths: number[] = [];
  let left = 0;
  let len = 0;
  let depth = 0;
  for (let i = 0; i < 4 * 1440; i++) {
    let v = 0;
    if (left === 0 && rand() < 1 / 30) {
      len = 1 + Math.floor(rand() * 3);
      left = len;
      depth = 10 + Math.floor(rand() * 40);
    }
    if (left > 0) {
      v = Math.round((depth * left) / len);
      left--;
    }
    depths.push(after(i, rand) ?? v);
  }
  return depths;
}

describe('a queue that drains its bursts', () => {
  const day3 = 3 * 1440;

  it('does not report the queue back at 0 after bursts that bunch up by chance', () => {
    // The short-window and slow means counted the bursts they held in full once the queue was back
    // at 0, and the rule that counts repeat outliers counted each minute of a burst as a burst:
    // 20 episodes opened with the queue at 0 on these 16 runs, as a level shift or a drift.
    const atZero: string[] = [];
    for (let seed = 1; seed <= 16; seed++) {
      const v = queueDepth(seed, (i) => (i >= day3 ? 0 : undefined)).slice(0, day3);
      const d = createDetector();
      v.forEach((x, i) => {
        const r = d.update(x, T0 + i * MINUTE);
        if (r.episodeStart && x === 0) atZero.push(`seed ${seed} minute ${i}: ${r.kind}`);
      });
    }
    expect(atZero.length).toBeLessThanOrEqual(1);
  });

  it('reports a queue that stops draining, and bursts coming far more often, within the hour', () => {
    const missed: string[] = [];
    const shapes = {
      // A burst that is not drained: jobs keep coming at about one a minute.
      stuck: (i: number, rand: () => number) =>
        i < day3 ? undefined : 20 + Math.floor((i - day3) / 2) + Math.floor(rand() * 3),
      // A burst every other minute instead of one in thirty, each drained as before.
      denser: (i: number) => (i < day3 ? undefined : (i - day3) % 2 === 0 ? 30 : 0),
    };
    for (const [name, shape] of Object.entries(shapes)) {
      for (let seed = 1; seed <= 16; seed++) {
        const v = queueDepth(seed, shape);
        const d = createDetector();
        const heard = v.map((x, i) => d.update(x, T0 + i * MINUTE));
        if (!heard.slice(day3, day3 + 60).some((r) => r.episodeStart)) missed.push(`${name} seed ${seed}`);
      }
    }
    expect(missed).toEqual([]);
  });
});

describe('a long run of outliers of the usual size', () => {
  it('reports a half-hour outage on a series whose dips were five or ten minutes long', () => {
    // Points every five minutes, traffic down to a fifth for one point, a day later for two, a day
    // after that for six: the rule for recurring spikes took each point of the half hour, no larger
    // than the dips before, for one of them, and the outage went unreported (gauge 0 of 16 runs,
    // counter 10 of 16 missed).
    const missed: string[] = [];
    const dips = [1, 2, 6];
    for (const kind of ['gauge', 'counter'] as const) {
      for (let seed = 1; seed <= 16; seed++) {
        const rand = prng(seed);
        const g = gaussian(rand);
        const d = createDetector();
        const at = dips.map((_, k) => (2.5 + k) * DAY_POINTS);
        let reported = false;
        for (let i = 0; i < at.at(-1)! + 36; i++) {
          const k = at.findIndex((a, k) => i >= a && i < a + dips[k]!);
          const level = k >= 0 ? 20 : 100;
          const r = d.update(
            kind === 'gauge' ? level + 3 * g() * (level / 100) : poisson(rand, level),
            T0 + i * STEP,
          );
          if (r.episodeStart && k === dips.length - 1) reported = true;
        }
        if (!reported) missed.push(`${kind} seed ${seed}`);
      }
    }
    expect(missed).toEqual([]);
  });
});

describe('a second burst', () => {
  it('reports a second latency outage hours after a first, after an odd noisy minute between them', () => {
    // A p95 at 20 ms, its noise a few of its widths off now and then, at 5 to 6 s for a quarter hour,
    // and again three hours later. One noisy minute after the first made two runs of outliers with
    // the first outage as their record, so the second, as large, was a repeat that started no
    // episode: unreported on 9 of 16 runs.
    const missed: number[] = [];
    for (let seed = 1; seed <= 16; seed++) {
      const rand = prng(seed);
      const g = gaussian(rand);
      const d = createDetector({ direction: 'up' });
      const first = 2 * 1440;
      const second = first + 15 + 180;
      let reported = false;
      for (let i = 0; i < second + 15; i++) {
        const down = (i >= first && i < first + 15) || i >= second;
        const r = d.update(down ? 5 + rand() : 0.02 * Math.exp(0.42 * g()), T0 + i * MINUTE);
        if (r.episodeStart && i >= second) reported = true;
      }
      if (!reported) missed.push(seed);
    }
    expect(missed).toEqual([]);
  });

  it('takes the large outliers of a heavy tail for repeats, with smaller ones between them', () => {
    // Minute points over five days: a gauge at 100 +- 2 with an outlier of 10 to 12 about every
    // half hour and one of 130 to 190 about every three hours, and a latency at 50 ms with one
    // minute in fifty drawn from a Pareto tail. Each small outlier, under a tenth of the record of
    // large ones, replaced it, and each large one after it was then new: 31 and 30 episodes over
    // the last three days of these 16 runs, against 11 and 9 with the large ones taken for repeats.
    const minute = STEP / 5;
    const shapes = {
      gauge: (rand: () => number, g: () => number) =>
        100 +
        2 * g() +
        (rand() < 1 / 30 ? 10 + 2 * rand() : 0) +
        (rand() < 1 / 180 ? 160 * (0.8 + 0.4 * rand()) : 0),
      latency: (rand: () => number, g: () => number) =>
        0.05 * Math.exp(0.1 * g()) * (rand() < 0.02 ? 3 * (1 - rand()) ** (-1 / 1.2) : 1),
    };
    const episodes: Record<string, number> = {};
    for (const [name, value] of Object.entries(shapes)) {
      episodes[name] = 0;
      for (let seed = 1; seed <= 16; seed++) {
        const rand = prng(seed);
        const g = gaussian(rand);
        const d = createDetector();
        for (let i = 0; i < 5 * 1440; i++) {
          if (d.update(value(rand, g), T0 + i * minute).episodeStart && i >= 2 * 1440) episodes[name]++;
        }
      }
    }
    expect(episodes.gauge).toBeLessThanOrEqual(16);
    expect(episodes.latency).toBeLessThanOrEqual(16);
  });

  it('reports a second burst of errors after a short first one and a recovery', () => {
    // The error rate of a route at 12 requests a minute that never failed, watched as the engine
    // watches an error rate: one request in two fails for five minutes, then none for twenty, then
    // one in two again. The first burst's episode ends while the likelihood's window still holds
    // its surprise; learned from there as the route's usual, it raised the bar so far that the ten
    // minutes of the second burst went unreported on 13 of these 24 runs.
    const options = { direction: 'up', transform: 'none', cooldown: 3 } as const;
    const first = 180;
    const second = first + 25;
    const missed: number[] = [];
    for (let seed = 1; seed <= 24; seed++) {
      const rand = prng(seed);
      const v = Array.from({ length: second + 10 }, (_, i) => {
        const p = (i >= first && i < first + 5) || i >= second ? 0.5 : 0;
        return Array.from({ length: 12 }, rand).filter((u) => u < p).length / 12;
      });
      if (starts(run(v, options), second).length === 0) missed.push(seed);
    }
    expect(missed).toEqual([]);
  });

  it('reports a lone spike a few hours after a much bigger one, and stays quiet between them', () => {
    // Minute points over three days, then a spike of 60 standard deviations and, three hours
    // later, one of 12: a gauge at 100 +- 5 (300 then 60 more), and a counter at 50 a minute (450
    // then 110). A lone spike is reported as a new extreme; the first spike's value, taken into the
    // extremes at once, hid the second on 24 of these 24 runs of each.
    const big = 3 * 1440 + 600;
    const next = big + 180;
    const series = {
      gauge: (i: number, _rand: () => number, g: () => number) =>
        100 + 5 * g() + (i === big ? 300 : 0) + (i === next ? 60 : 0),
      counter: (i: number, rand: () => number) =>
        poisson(rand, 50) + (i === big ? 400 : 0) + (i === next ? 60 : 0),
    };
    const missed: string[] = [];
    let between = 0;
    for (const [name, value] of Object.entries(series)) {
      for (let seed = 1; seed <= 24; seed++) {
        const rand = prng(seed);
        const g = gaussian(rand);
        const d = createDetector();
        const at: number[] = [];
        for (let i = 0; i <= next + 60; i++) {
          if (d.update(value(i, rand, g), T0 + i * MINUTE).episodeStart && i >= big) at.push(i);
        }
        if (at[0] !== big) missed.push(`${name} ${seed} first`);
        if (!at.includes(next)) missed.push(`${name} ${seed}`);
        between += at.filter((i) => i !== big && i !== next).length;
      }
    }
    expect(missed).toEqual([]);
    expect(between).toBe(0);
  });

  it('reports a spike a few hours after a smaller one that came after a much larger one', () => {
    // A gauge at 100 +- 5: 300 more, 100 more two and a half hours later, and 35 more two and a half
    // hours after that. The second spike's value is held apart with the first's; held apart from it,
    // the third is a new extreme as the second was.
    const big = 3 * 1440 + 600;
    const missed: number[] = [];
    for (let seed = 1; seed <= 24; seed++) {
      const g = gaussian(prng(seed));
      const d = createDetector();
      const at: number[] = [];
      for (let i = 0; i <= big + 330; i++) {
        const add = i === big ? 300 : i === big + 150 ? 100 : i === big + 300 ? 35 : 0;
        if (d.update(100 + 5 * g() + add, T0 + i * MINUTE).episodeStart && i >= big) at.push(i - big);
      }
      if (at.join() !== '0,150,300') missed.push(seed);
    }
    expect(missed).toEqual([]);
  });

  it('takes a spike for a repeat of a larger one that grew in an episode held apart', () => {
    // A gauge at 100 +- 5: 300 more; two and a half hours later 60 more, then 500 more the next
    // minute; 40 more two and a half hours after that, and 450 more as long again after it. The
    // 500 was held apart with the 60 and dropped when the 40 took its place, so the 450 was a new
    // extreme, reported on 16 of 16 runs, against the day's 300 alone.
    const big = 3 * 1440 + 600;
    const add = new Map([
      [big, 300],
      [big + 150, 60],
      [big + 151, 500],
      [big + 300, 40],
      [big + 450, 450],
    ]);
    const heard: string[] = [];
    for (let seed = 1; seed <= 16; seed++) {
      const g = gaussian(prng(seed));
      const d = createDetector();
      const at: number[] = [];
      for (let i = 0; i <= big + 600; i++) {
        if (d.update(100 + 5 * g() + (add.get(i) ?? 0), T0 + i * MINUTE).episodeStart && i >= big)
          at.push(i - big);
      }
      if (at.join() !== '0,150,300') heard.push(`seed ${seed}: ${at.join()}`);
    }
    expect(heard).toEqual([]);
  });
});

describe('one absurd value', () => {
  // Minute points for about two days, then one value far beyond any the series could take (what
  // recording Date.now() - start records when start is 0, or a gauge reporting bytes for megabytes
  // once), then the series as before, with a spike to ten times its level 500 minutes later. The
  // value took the noise floor with it: the band was 1.3e6 wide a day later and 4e3 two days later
  // on a gauge at 100, and the spike went unreported on every one of these runs, whatever the value.
  const at = 3000;
  const spike = at + 500;
  const series = {
    gauge: (_rand: () => number, g: () => number) => 100 + 2 * g(),
    counter: (rand: () => number) => poisson(rand, 100),
  };
  for (const [name, value] of Object.entries(series)) {
    it(`reports it and, on a ${name}, keeps its band and reports a spike soon after`, () => {
      const failed: string[] = [];
      // Each value once, and four in a row.
      const absurd = name === 'gauge' ? [1.7e12, 1e308, -1.7e12] : [1.7e12, 1e308];
      for (const [bad, points] of [...absurd.map((b) => [b, 1]), [1.7e12, 4]] as const) {
        for (let seed = 1; seed <= 16; seed++) {
          const rand = prng(seed);
          const g = gaussian(rand);
          const d = createDetector();
          let before = 0;
          for (let i = 0; i <= at + 1440; i++) {
            const v = i >= at && i < at + points ? bad : i === spike ? 1000 : value(rand, g);
            const r = d.update(v, T0 + i * MINUTE);
            if (i === at - 1) before = r.upper - r.lower;
            if (i === at && !r.episodeStart) failed.push(`${bad} ${seed}: not reported`);
            if (i === spike && !r.episodeStart) failed.push(`${bad} ${seed}: spike not reported`);
            if (i === at + 1440 && r.upper - r.lower > 2 * before) {
              failed.push(`${bad} ${seed}: band ${(r.upper - r.lower).toPrecision(3)} a day later`);
            }
          }
        }
      }
      expect(failed).toEqual([]);
    });
  }

  it('takes a lasting change by a million times (a unit changed) as the new level within minutes', () => {
    const failed: string[] = [];
    for (let seed = 1; seed <= 16; seed++) {
      const g = gaussian(prng(seed));
      const d = createDetector();
      let settled = -1;
      for (let i = 0; i <= at + 1440; i++) {
        const scale = i >= at ? 1e6 : 1;
        const r = d.update((i === at + 1440 ? 1000 : 100 + 2 * g()) * scale, T0 + i * MINUTE);
        if (settled < 0 && i > at && !r.ongoing && r.lower < r.expected && r.upper < 2e8) settled = i - at;
        if (i === at + 1440 && !r.episodeStart) failed.push(`${seed}: spike a day later not reported`);
      }
      if (settled < 0 || settled > 10) failed.push(`${seed}: new level taken after ${settled} points`);
    }
    expect(failed).toEqual([]);
  });

  it('reports a spike to ten times the level two days after it, on a gauge and on a counter', () => {
    // A day after it, the value joined the extremes, fading over two months: every spike smaller
    // than it was taken for a repeat, and this one went unreported on 16 of 16 runs of each.
    const failed: string[] = [];
    const later = at + 2 * 1440;
    for (const [name, value] of Object.entries(series)) {
      for (const bad of [1.7e12, 1e8, ...(name === 'gauge' ? [-1.7e12] : [])]) {
        for (let seed = 1; seed <= 16; seed++) {
          const rand = prng(seed);
          const g = gaussian(rand);
          const d = createDetector();
          for (let i = 0; i <= later; i++) {
            const v = i === at ? bad : i === later ? 1000 : value(rand, g);
            const r = d.update(v, T0 + i * MINUTE);
            if (i === later && !r.episodeStart) failed.push(`${name} ${bad} ${seed}`);
          }
        }
      }
    }
    expect(failed).toEqual([]);
  });

  it('reports a counter halving two hours after it as soon as after an ordinary spike', () => {
    // The average of the last dozen values the fall is measured by took the value whole: 1.7e12
    // still weighed more than a thousand two hours later, the fall read as a rise, and it was
    // reported only by its 26th minute on 6 of these 16 runs, by its 6th after a spike to 1000.
    const half = at + 110;
    const late: string[] = [];
    for (let seed = 1; seed <= 16; seed++) {
      const rand = prng(seed);
      const d = createDetector();
      let first = -1;
      for (let i = 0; i <= half + 30 && first < 0; i++) {
        const r = d.update(i === at ? 1.7e12 : poisson(rand, i >= half ? 50 : 100), T0 + i * MINUTE);
        if (i >= half && r.episodeStart) first = i - half;
      }
      if (first < 0 || first > 10) late.push(`${seed}: minute ${first}`);
    }
    expect(late).toEqual([]);
  });

  it('reports a second burst, a day after a first, two days after it as without it', () => {
    // Five minutes at five times the level, twice a day apart. The value counted as a spike the
    // series had shown, and at its size every outlier below it was one of the series' usual spikes:
    // the second burst, a repeat of one spike before it, went unreported on 16 of 16 runs of a
    // gauge and 15 of 16 of a counter, where without the value it was reported on 15 and 16.
    const first = at + 2 * 1440;
    const second = first + 1440;
    const burst = (i: number) => (i >= first && i < first + 5) || (i >= second && i < second + 5);
    const heard = (value: (rand: () => number, g: () => number) => number, seed: number, bad: boolean) => {
      const rand = prng(seed);
      const g = gaussian(rand);
      const d = createDetector();
      let reported = false;
      for (let i = 0; i < second + 5; i++) {
        const v = bad && i === at ? 1.7e12 : (burst(i) ? 5 : 1) * value(rand, g);
        if (d.update(v, T0 + i * MINUTE).episodeStart && i >= second) reported = true;
      }
      return reported;
    };
    const missed: string[] = [];
    for (const [name, value] of Object.entries(series)) {
      for (let seed = 1; seed <= 16; seed++) {
        if (heard(value, seed, false) && !heard(value, seed, true)) missed.push(`${name} ${seed}`);
      }
    }
    expect(missed).toEqual([]);
  });

  it('still takes a spike that comes every day at a hundred times a quiet level for a repeat', () => {
    // One point a day at 1000 on a gauge at 10 (exactly, or within 0.02 or 0.2): as far beyond the
    // level as an absurd value, but seen again at its size, so it is how the series behaves.
    const heard: string[] = [];
    for (const noise of [0, 0.02, 0.2]) {
      for (let seed = 1; seed <= 16; seed++) {
        const g = gaussian(prng(seed));
        const d = createDetector();
        for (let i = 0; i < 6 * 1440; i++) {
          const r = d.update(i % 1440 === 700 ? 1000 : 10 + noise * g(), T0 + i * MINUTE);
          if (r.episodeStart) heard.push(`${noise} ${seed} day ${Math.floor(i / 1440) + 1}`);
        }
      }
    }
    expect(heard.filter((h) => !h.endsWith('day 1'))).toEqual([]);
    expect(heard.length).toBe(48);
  });

  it('takes a run every day at a thousand times a level for usual as soon as one at a hundred times', () => {
    // Two minutes at 10,000 or 100,000 each day from the second at 10:00 on a gauge at 100 +- 5, the
    // run's noise a hundredth of its size. The larger run's first values were lone, and confirmed by
    // the next run's, but neither run counted among the series' spikes, so the recurring-spike rule
    // took up the runs two days late: 24 episodes from the third day on over 16 seeded runs, not 11.
    const heard = (size: number) => {
      const at: string[] = [];
      for (let seed = 1; seed <= 16; seed++) {
        const g = gaussian(prng(seed));
        const d = createDetector();
        for (let i = 0; i < 5 * 1440; i++) {
          const run = i >= 1440 && i % 1440 >= 600 && i % 1440 < 602;
          const r = d.update(run ? size * (1 + 0.01 * g()) : 100 + 5 * g(), T0 + i * MINUTE);
          if (r.episodeStart && i >= 2 * 1440)
            at.push(`seed ${seed} day ${Math.floor(i / 1440)} ${i % 1440}`);
        }
      }
      return at;
    };
    expect(heard(100_000)).toEqual(heard(10_000));
  });
});

describe('one absurd value in a cooldown', () => {
  it('does not learn it into the daily profile and report its slot again and again for days', () => {
    // A gauge with a daily pattern at minute points: on day 4 it triples for five minutes (reported),
    // and half an hour later, inside the cooldown that follows a report, takes one absurd value once.
    // Not reported, the value went into its slot of the daily profile whole, and the series was
    // reported again and again for days, as a seasonality break or a variance change: 47 events over
    // the three days after it on these 16 runs.
    const shape = (i: number) => Math.max(0, Math.sin(Math.PI * (((i % 1440) / 1440) * 1.25 - 0.15))) ** 2;
    const incident = 4 * 1440 + 600;
    const at = incident + 30;
    const heard: string[] = [];
    for (let seed = 1; seed <= 16; seed++) {
      const g = gaussian(prng(seed));
      const d = createDetector();
      for (let i = 0; i < at + 3 * 1440; i++) {
        const v = 100 + 80 * shape(i) + 2 * g();
        const r = d.update(
          i === at ? 1.7e12 : i >= incident && i < incident + 5 ? 3 * v : v,
          T0 + i * MINUTE,
        );
        if (r.episodeStart && i > at) heard.push(`seed ${seed} minute ${i - at}: ${r.kind}`);
      }
    }
    expect(heard).toEqual([]);
  });

  it('learns a daily job whose first run was reported, and stays quiet on it after', () => {
    // A gauge with a daily pattern at 5-minute points and a job that lifts it tenfold for half an
    // hour at 10:00 each day. Its first run is an episode's, so the first day's raw profile never
    // learned those slots; clipped to 3 sigma, they took a little of each later run, and the series
    // was reported every day as a seasonality break: 40 events over days 3 to 13 on these 8 runs.
    const heard: string[] = [];
    for (let seed = 1; seed <= 8; seed++) {
      const g = gaussian(prng(seed));
      const d = createDetector();
      for (let i = 0; i < 14 * DAY_POINTS; i++) {
        const minute = (i % DAY_POINTS) * 5;
        const job = minute >= 600 && minute < 630 ? 10 : 1;
        const r = d.update((100 + 50 * dailyShape(i)) * (1 + 0.05 * g()) * job, T0 + i * STEP);
        if (r.episodeStart && i >= 3 * DAY_POINTS)
          heard.push(`seed ${seed} day ${Math.floor(i / DAY_POINTS)}`);
      }
    }
    expect(heard.length).toBeLessThanOrEqual(3);
  });
});

describe('zero-variance baselines', () => {
  function constant(n: number, level: number): number[] {
    return Array.from({ length: n }, () => level);
  }

  it('flags a constant series that drops to zero at once, as an outage held until recovery', () => {
    const v = constant(300, 50).concat(constant(30, 0), constant(100, 50));
    const r = run(v, { warmup: 100 });
    expect(starts(r)).toEqual([300]);
    expect(r[300]!.kind).toBe('level_shift');
    for (let i = 300; i < 330; i++) expect(r[i]!.anomaly).toBe(true);
    expect(r[300]!.expected).toBeCloseTo(50, 0);
    expect(r.slice(335).some((x) => x.anomaly || x.ongoing)).toBe(false);
  });

  it('flags a constant series that drops to zero right after a short history, at the end of warm-up', () => {
    // 100 points at 50, then zeros: the first point allowed to alert (after the 120-point
    // warm-up) is flagged, and the outage stays flagged.
    const v = constant(100, 50).concat(constant(100, 0));
    const r = run(v);
    const s = starts(r);
    expect(s).toEqual([120]);
    for (let i = 120; i < 200; i++) expect(r[i]!.anomaly).toBe(true);
  });

  it('flags a constant series that jumps (50 -> 80), a constant gauge that steps, with a step kind', () => {
    const r = run(constant(300, 50).concat(constant(50, 80)));
    expect(starts(r)).toEqual([300]);
    expect(r[300]!.kind).toBe('spike');
    expect(r[303]!.kind).toBe('level_shift');
    const g = run(constant(300, 2.5).concat(constant(50, 3.5)));
    expect(starts(g)).toEqual([300]);
  });

  it('gives the level it takes after exactly zero the noise that level shows, not the zero before it', () => {
    // The error rate of a route at 12 requests a minute that never failed, then fails half of them
    // for twelve hours, watched as the engine watches an error rate.
    for (let seed = 1; seed <= 12; seed++) {
      const rand = prng(seed);
      const failed = () => Array.from({ length: 12 }, rand).filter((u) => u < 0.5).length;
      const v = constant(200, 0).concat(Array.from({ length: 720 }, () => failed() / 12));
      const r = run(v, { direction: 'up', transform: 'none', cooldown: 3, warmup: 30 });
      // A band as narrow as the zero level's left 40 to 97 of these points above it and opened an
      // episode every seven points or so; three sigmas of the new noise hold all but a few.
      const above = v.filter((x, i) => i >= 260 && x > r[i]!.upper).length;
      expect(above, `seed ${seed}`).toBeLessThanOrEqual(6);
      expect(starts(r, 230), `seed ${seed}`).toEqual([]);
    }
  });

  it('forgets the surprise of the first errors after exactly zero: long after, calm points open no episode', () => {
    // The error rate of a route at 12 requests a minute that never failed, then fails one request
    // in ten, watched as the engine watches an error rate. Off a band about 1e-9 wide the first
    // errors are a surprise of some 1e15 decades, which the memory of recent surprise kept for
    // good: every later point passed for surprising itself, and points inside the band opened
    // episodes thousands of points later (on 3 of these 12 runs). From the 1,440th point at the new
    // rate on, the episodes are those of the same errors without the error-free points before them.
    const options = { direction: 'up', transform: 'none', cooldown: 3, warmup: 30 } as const;
    const late = (r: AnomalyResult[], from: number) => starts(r, from + 1440).map((i) => i - from);
    for (let seed = 1; seed <= 12; seed++) {
      const rand = prng(seed);
      const failed = () => Array.from({ length: 12 }, rand).filter((u) => u < 0.1).length;
      const errors = Array.from({ length: 4 * 1440 }, () => failed() / 12);
      const afterZero = late(run(constant(200, 0).concat(errors), options), 200);
      expect(afterZero, `seed ${seed}`).toEqual(late(run(errors, options), 0));
    }
  });
});

describe('impact floor and band', () => {
  it('stays quiet on pure Gaussian noise when the 10 % floor is well inside the band', () => {
    // sd 2 around 10: the relative floor (1) is half a sigma, so only the band can hold alerts off.
    for (const seed of [41, 42, 43]) expect(starts(run(noisy(20_000, 10, 2, seed)), 200)).toEqual([]);
  });
});

describe('switching to the daily profile', () => {
  it('does not report the switch as a change of level', () => {
    // A p95-like gauge at 1-minute points: about 50 ms, one point in five near 1.1 s. On day 2 the
    // daily profile predicts better and is switched on; its level and the flat one split the value
    // differently, and nothing about the series changed.
    const minute = STEP / 5;
    const day = 1440;
    for (const seed of [7, 9]) {
      const rand = prng(seed);
      const g = gaussian(rand);
      const d = createDetector();
      const kinds: string[] = [];
      for (let i = 0; i < 2 * day + 200; i++) {
        const v = rand() < 0.2 ? 1.1 * Math.exp(0.1 * g()) : 0.05 * Math.exp(0.05 * g());
        const r = d.update(v, T0 + i * minute);
        if (r.episodeStart && i >= 2 * day) kinds.push(`${i - 2 * day} ${r.kind}`);
      }
      const shifts = kinds.filter((k) => /level_shift|seasonality_break|drift/.test(k));
      expect(shifts, `seed ${seed}`).toEqual([]);
    }
  });
});

describe('a count taken once a day', () => {
  it('learns its weekdays and weekends, and reports a Sunday at half its count', () => {
    // Records a nightly batch processed, counted at 02:00: about 10,000 on weekdays and 4,000 at
    // weekends, 3 % apart; on day 300, a Sunday, half as many. Its daily profile has one slot, so it
    // never predicted better than the flat level, and the weekly profile was only tried on top of
    // it: the band held weekdays and weekends alike, and the half went unreported on 16 of 16 series.
    const heard: string[] = [];
    for (let seed = 1; seed <= 16; seed++) {
      const g = gaussian(prng(seed));
      const d = createDetector();
      for (let k = 0; k < 400; k++) {
        const count = (k % 7 < 5 ? 10_000 : 4000) * (1 + 0.03 * g()) * (k === 300 ? 0.5 : 1);
        const r = d.update(Math.round(count), T0 + k * DAY_POINTS * STEP + 2 * 60 * MINUTE);
        if (r.episodeStart) heard.push(`seed ${seed} day ${k}`);
      }
    }
    expect(heard).toEqual(Array.from({ length: 16 }, (_, i) => `seed ${i + 1} day 300`));
  });
});

describe('kind at the start of an episode', () => {
  it('calls a burst of wider noise variance from its first point', () => {
    // Four times the usual noise: several large residuals of both signs arrive before the
    // evidence is conclusive, and the first point of the episode already says variance.
    const g = gaussian(prng(51));
    const v = Array.from({ length: 4000 }, (_, i) => 100 + (i >= 3000 && i < 3100 ? 8 : 2) * g());
    const r = run(v);
    const s = starts(r, 200);
    expect(s[0]!).toBeGreaterThanOrEqual(3000);
    expect(r[s[0]!]!.kind).toBe('variance');
  });
});
