/**
 * Synthetic service metrics at 1-minute steps over days to weeks, each with one injected fault.
 * This suite guards against tuning the detector to one benchmark: every fault must be caught
 * quickly with a plausible kind, and the fault-free stretches after warm-up must stay quiet.
 */
import { describe, expect, it } from 'vitest';
import { type AnomalyKind, type AnomalyResult, createDetector } from '../../../src/anomaly/index.js';
import { gaussian, poisson, prng, T0 } from './series.js';

const MIN = 60_000;
const DAY = 1440;
const HOUR = 60;

/** Daily shape in [0, 1] at 1-minute steps: quiet night, busy afternoon. */
function daily(i: number): number {
  const phase = (i % DAY) / DAY;
  return Math.max(0, Math.sin(Math.PI * (phase * 1.25 - 0.15))) ** 2;
}

function weekend(i: number): boolean {
  return Math.floor(i / DAY) % 7 >= 5; // T0 is a Monday
}

interface Scenario {
  name: string;
  days: number;
  /** Points before which alerts are not counted (model warm-up, seasonal profiles learning). */
  warm: number;
  faultStart: number;
  /** Last point of the fault; alerts up to `settle` points later belong to the fault. */
  faultEnd: number;
  settle: number;
  /** An episode must start within this many points of the fault start. */
  maxDelay: number;
  kinds: AnomalyKind[];
  values: (n: number) => number[];
}

const at = (day: number, hour: number) => day * DAY + hour * HOUR;

const scenarios: Scenario[] = [
  {
    name: 'latency p95, daily pattern, deploy regression +40 %',
    days: 7,
    warm: 3 * DAY,
    faultStart: at(5, 10),
    faultEnd: at(5, 10),
    settle: 3 * HOUR,
    maxDelay: 10,
    // The first point of a step cannot be told from a spike.
    kinds: ['level_shift', 'spike'],
    values: (n) => {
      const g = gaussian(prng(101));
      return Array.from({ length: n }, (_, i) => {
        const base = 0.12 * (1 + 0.5 * daily(i)) * Math.exp(0.05 * g());
        return i >= at(5, 10) ? base * 1.4 : base;
      });
    },
  },
  {
    name: 'throughput, daily + weekly pattern, outage to zero for 30 min',
    days: 21,
    warm: 15 * DAY,
    faultStart: at(16, 14),
    faultEnd: at(16, 14) + 29,
    settle: 30,
    maxDelay: 2,
    kinds: ['level_shift', 'dip'],
    values: (n) => {
      const rand = prng(102);
      return Array.from({ length: n }, (_, i) => {
        if (i >= at(16, 14) && i < at(16, 14) + 30) return 0;
        return poisson(rand, 20 + (weekend(i) ? 300 : 1500) * daily(i));
      });
    },
  },
  {
    name: 'error rate near 0.1 %, burst to 5 %',
    days: 5,
    warm: 3 * DAY,
    faultStart: at(4, 11),
    faultEnd: at(4, 11) + 14,
    settle: 30,
    maxDelay: 3,
    kinds: ['spike', 'level_shift'],
    values: (n) => {
      const rand = prng(103);
      return Array.from({ length: n }, (_, i) => {
        const requests = Math.round(400 + 1600 * daily(i));
        const p = i >= at(4, 11) && i < at(4, 11) + 15 ? 0.05 : 0.001;
        return poisson(rand, requests * p) / requests;
      });
    },
  },
  {
    name: 'memory gauge, leak (+100 MB/h for 6 h)',
    days: 5,
    warm: 2 * DAY,
    faultStart: at(4, 2),
    faultEnd: at(4, 8),
    settle: 6 * HOUR,
    // The leak crosses the default 10 % impact floor (51 MB) after 31 minutes.
    maxDelay: 45,
    kinds: ['drift', 'level_shift'],
    values: (n) => {
      const g = gaussian(prng(104));
      return Array.from({ length: n }, (_, i) => {
        const leak = i >= at(4, 2) ? (100 * Math.min(i - at(4, 2), 6 * HOUR)) / HOUR : 0;
        return 512 + 6 * Math.sin((2 * Math.PI * (i % 30)) / 30) + 4 * g() + leak;
      });
    },
  },
  {
    name: 'orders per minute, Poisson with daily pattern, 50 % drop for an hour',
    days: 6,
    warm: 3 * DAY,
    faultStart: at(5, 13),
    faultEnd: at(5, 14),
    settle: 30,
    maxDelay: 10,
    kinds: ['level_shift', 'dip', 'seasonality_break', 'drift'],
    values: (n) => {
      const rand = prng(105);
      return Array.from({ length: n }, (_, i) => {
        const mean = 3 + 60 * daily(i);
        return poisson(rand, i >= at(5, 13) && i < at(5, 14) ? mean / 2 : mean);
      });
    },
  },
  {
    name: 'queue depth, stuck exporter (flatline for 2 h)',
    days: 4,
    warm: 2 * DAY,
    faultStart: at(3, 9),
    faultEnd: at(3, 11),
    settle: 30,
    // A repeated value only becomes unlikely after a dozen or so repeats.
    maxDelay: 15,
    kinds: ['flatline'],
    values: (n) => {
      const rand = prng(106);
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        const stuck = i >= at(3, 9) && i < at(3, 11);
        out.push(stuck ? out[i - 1]! : poisson(rand, 15 + 10 * daily(i)));
      }
      return out;
    },
  },
];

interface Outcome {
  delay: number | null;
  kind: AnomalyKind | null;
  falseAlerts: number;
  quietDays: number;
  /** Where the false alerts started, as `day:hh:mm kind`, for the report. */
  falseAt: string[];
}

function evaluate(s: Scenario): Outcome {
  const n = s.days * DAY;
  const values = s.values(n);
  const d = createDetector();
  const results: AnomalyResult[] = values.map((v, i) => d.update(v, T0 + i * MIN));
  let delay: number | null = null;
  let kind: AnomalyKind | null = null;
  let falseAlerts = 0;
  const falseAt: string[] = [];
  for (let i = s.warm; i < n; i++) {
    if (!results[i]!.episodeStart) continue;
    if (i >= s.faultStart && i <= s.faultEnd + s.settle) {
      if (delay === null) {
        delay = i - s.faultStart;
        kind = results[i]!.kind;
      }
    } else {
      falseAlerts++;
      const m = i % DAY;
      falseAt.push(`d${Math.floor(i / DAY)} ${Math.floor(m / HOUR)}:${m % HOUR} ${results[i]!.kind}`);
    }
  }
  const quietDays = (n - s.warm - (s.faultEnd + s.settle - s.faultStart)) / DAY;
  return { delay, kind, falseAlerts, quietDays, falseAt };
}

describe('synthetic service metrics', () => {
  const outcomes = new Map<string, Outcome>();

  for (const s of scenarios) {
    it(`catches the fault and stays quiet otherwise: ${s.name}`, () => {
      const o = evaluate(s);
      outcomes.set(s.name, o);
      expect(o.delay, 'detection delay (points)').not.toBeNull();
      expect(o.delay!).toBeLessThanOrEqual(s.maxDelay);
      expect(s.kinds).toContain(o.kind);
      expect(o.falseAlerts, 'alerts outside the fault').toBe(0);
    });
  }

  it('holds an outage flagged on every point until it recovers', () => {
    const s = scenarios[1]!;
    const values = s.values(s.days * DAY);
    const d = createDetector();
    const results = values.map((v, i) => d.update(v, T0 + i * MIN));
    for (let i = s.faultStart; i <= s.faultEnd; i++) expect(results[i]!.anomaly).toBe(true);
    expect(results[s.faultEnd + 10]!.anomaly).toBe(false);
  });

  it('summary', () => {
    if (process.env.ANOMALY_SUITE_REPORT) {
      for (const [name, o] of outcomes) {
        const perDay = (o.falseAlerts / o.quietDays).toFixed(2);
        console.log(
          `${name}: delay ${o.delay} min, kind ${o.kind}, false alerts/day ${perDay} ${o.falseAt.join(', ')}`,
        );
      }
    }
    expect(outcomes.size).toBe(scenarios.length);
  });
});
