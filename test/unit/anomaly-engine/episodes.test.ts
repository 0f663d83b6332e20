import { describe, expect, it } from 'vitest';
import { judge, newEpisodeState } from '../../../src/anomaly/engine-episodes.js';
import type { SeriesSample } from '../../../src/anomaly/engine-series.js';
import type { AnomalyResult } from '../../../src/anomaly/types.js';

const latency: SeriesSample = {
  key: 'p95',
  metric: 'http.server.request.duration.p95',
  attributes: { 'http.route': '/a' },
  value: 0,
  direction: 'up',
  zeroWhenAbsent: false,
  unit: 's',
  transform: 'none',
  confirm: 3,
  nonNegative: true,
  perCycle: 1,
  floor: 0,
  requests: 0,
  held: false,
  unmoved: false,
};
const rate: SeriesSample = {
  ...latency,
  key: 'rate',
  direction: 'both',
  zeroWhenAbsent: true,
  confirm: 2,
  perCycle: 0.5,
};

const calm: AnomalyResult = {
  score: 0,
  anomaly: false,
  episodeStart: false,
  ongoing: false,
  expected: 0.02,
  lower: 0,
  upper: 0.05,
  severity: 0,
  kind: null,
};
const open = (over: Partial<AnomalyResult> = {}): AnomalyResult => ({
  ...calm,
  ongoing: true,
  severity: 80,
  kind: 'spike',
  ...over,
});

describe('judge: one event per confirmed episode', () => {
  it('reports an episode once it has stayed outside the band for its confirm cycles', () => {
    const s = newEpisodeState();
    expect(judge(s, latency, 0.3, open({ episodeStart: true, score: 0.8 }), undefined)).toBeUndefined();
    expect(judge(s, latency, 0.3, open({ score: 0.5 }), undefined)).toBeUndefined();
    // The detector scores the episode's first point; later ones are capped at 0.5.
    expect(judge(s, latency, 0.31, open({ kind: 'level_shift', score: 0.5 }), undefined)).toEqual({
      kind: 'level_shift',
      observed: 0.31,
      mean: false,
      expected: 0.02,
      severity: 80,
      score: 0.8,
      lower: 0,
      upper: 0.05,
    });
    expect(judge(s, latency, 0.32, open(), undefined)).toBeUndefined(); // same episode: no second event
  });

  it('drops a blip that returns inside the band, yet still reports a fault later in the same detector episode', () => {
    const s = newEpisodeState();
    judge(s, latency, 0.3, open({ episodeStart: true }), undefined);
    expect(judge(s, latency, 0.03, open(), undefined)).toBeUndefined();
    expect(judge(s, latency, 0.4, open(), undefined)).toBeUndefined();
    expect(judge(s, latency, 0.4, open(), undefined)).toBeUndefined();
    expect(judge(s, latency, 0.4, open(), undefined)?.kind).toBe('spike');
  });

  it('ignores the side that does not matter and honours a configured confirm count', () => {
    const s = newEpisodeState();
    for (let i = 0; i < 5; i++)
      expect(judge(s, latency, -1, open({ lower: 0.01 }), undefined)).toBeUndefined();
    expect(judge(newEpisodeState(), latency, 0.5, open(), 1)?.severity).toBe(80);
  });

  it('keeps an upward episode at or under the series floor quiet', () => {
    const s = newEpisodeState();
    const fast = { ...latency, floor: 0.005 };
    const tight = open({ expected: 0.0007, upper: 0.001 });
    for (let i = 0; i < 5; i++) expect(judge(s, fast, 0.004, tight, undefined)).toBeUndefined();
    judge(s, fast, 0.03, tight, undefined);
    judge(s, fast, 0.03, tight, undefined);
    expect(judge(s, fast, 0.03, tight, undefined)?.kind).toBe('spike');
  });

  it('re-arms once the series is back in its band and the detector closes the episode', () => {
    const s = newEpisodeState();
    judge(s, latency, 0.5, open(), 1);
    // The detector closes an episode on its third calm point in a row.
    expect(judge(s, latency, 0.02, open(), 1)).toBeUndefined();
    expect(judge(s, latency, 0.02, open(), 1)).toBeUndefined();
    expect(judge(s, latency, 0.02, calm, 1)).toBeUndefined();
    expect(judge(s, latency, 0.5, open(), 1)).toBeDefined();
  });

  it('keeps an incident the detector took as its new level until the series is back in its band', () => {
    const s = newEpisodeState();
    judge(s, latency, 0.5, open(), 1);
    // Its band around the new level is still the old one's width, and the noise reopens episodes.
    const band = { expected: 0.5, lower: 0.49, upper: 0.51 };
    for (let i = 0; i < 10; i++) {
      expect(judge(s, latency, 0.5, { ...calm, ...band }, 1)).toBeUndefined();
      expect(judge(s, latency, 0.6, open(band), 1)).toBeUndefined();
    }
    for (let i = 0; i < 3; i++) judge(s, latency, 0.02, calm, 1);
    expect(judge(s, latency, 0.5, open(), 1)).toBeDefined();
  });

  it('ends a reported change the detector has held as its level without an episode for twenty cycles', () => {
    const s = newEpisodeState();
    judge(s, latency, 0.5, open(), 1);
    const band = { expected: 0.5, lower: 0.45, upper: 0.55 };
    for (let i = 0; i < 19; i++) judge(s, latency, 0.5, { ...calm, ...band }, 1);
    expect(judge(s, latency, 2, open(band), 1)).toBeUndefined();
    for (let i = 0; i < 20; i++) judge(s, latency, 0.5, { ...calm, ...band }, 1);
    expect(judge(s, latency, 2, open(band), 1)).toMatchObject({ expected: 0.5, upper: 0.55 });
  });
});

describe('judge: an error rate of few requests a cycle', () => {
  // Twelve requests a cycle: an error is 1/12 of them.
  const errorRate: SeriesSample = {
    ...latency,
    key: 'errors',
    metric: 'http.server.error.rate',
    requests: 12,
  };
  const zeroBand = { expected: 0, lower: 0, upper: 0.001 };
  const quiet: AnomalyResult = { ...calm, ...zeroBand };

  /** An incident reported at one error in twenty requests: 480 requests, 24 errors, 40 cycles. */
  function reportedIncident() {
    const s = newEpisodeState();
    const cycle = (errors: number, r: AnomalyResult) => judge(s, errorRate, errors / 12, r, 1);
    expect(cycle(1, open(zeroBand))).toBeDefined();
    for (let i = 1; i < 40; i++)
      expect(cycle([0, 1, 0, 1, 1][i % 5]!, i % 5 ? open(zeroBand) : quiet)).toBeUndefined();
    return cycle;
  }

  it('ends an incident only once its cycles without errors hold the requests its rate would have failed', () => {
    const cycle = reportedIncident();
    // Ten cycles without an error, 120 requests: the incident's rate gives six errors in them.
    for (let i = 0; i < 10; i++) cycle(0, quiet);
    expect(cycle(1, open(zeroBand))).toBeUndefined();
    // Twenty-five, 300 requests: about twelve at the incident's rate, now 25 errors in 612 requests,
    // whose own noise leaves a run of twenty without one once in a few thousand.
    for (let i = 0; i < 25; i++) cycle(0, quiet);
    expect(cycle(1, open(zeroBand))).toMatchObject({ upper: 0.001 });
  });

  // A route at a hundred requests a cycle failing one in a hundred, reported on a cycle with three:
  // that one cycle's 3 % ended the incident after three cycles without an error, which a 1 % rate
  // gives every hour or two, and its next errors were reported again.
  it('does not take the rate of the one cycle an incident was reported on for its rate', () => {
    const s = newEpisodeState();
    const route = { ...errorRate, requests: 100 };
    const cycle = (errors: number, r: AnomalyResult) => judge(s, route, errors / 100, r, 1);
    expect(cycle(3, open(zeroBand))).toBeDefined();
    for (let i = 0; i < 5; i++) cycle(0, quiet);
    expect(cycle(1, open(zeroBand))).toBeUndefined();
    expect(cycle(2, open(zeroBand))).toBeUndefined();
  });

  it("holds a change as the new level only once the detector's band holds the incident's error rate", () => {
    const cycle = reportedIncident();
    // The detector opens no episode for thirty cycles but still expects no errors.
    for (let i = 0; i < 30; i++) cycle(i % 3 ? 0 : 1, quiet);
    expect(cycle(1, open(zeroBand))).toBeUndefined();
    // Then takes the errors as its level, for twenty cycles without an episode.
    const held = { expected: 0.05, lower: 0, upper: 0.3 };
    for (let i = 0; i < 20; i++) cycle(i % 3 ? 0 : 1, { ...calm, ...held });
    // It undoes that on a few cycles without errors: its episodes on the next errors are the
    // incident's, and only errors beyond the band of the level it held are new.
    for (let i = 0; i < 3; i++) cycle(0, quiet);
    expect(cycle(1, open(zeroBand))).toBeUndefined();
    expect(cycle(2, open(zeroBand))).toBeUndefined();
    expect(cycle(6, open(zeroBand))).toMatchObject({ upper: 0.001 });
    // That is still the incident reported first, whose rate still tells when it is over.
    for (let i = 0; i < 3; i++) cycle(0, quiet);
    expect(cycle(1, open(zeroBand))).toBeUndefined();
  });
});

describe('judge: outages', () => {
  it('reports a busy rate that goes silent for two cycles even when the band includes zero', () => {
    const s = newEpisodeState();
    const wide = { ...calm, expected: 40, lower: 0, upper: 120 };
    for (let i = 0; i < 12; i++) judge(s, rate, 40, wide, undefined);
    expect(judge(s, rate, 0, wide, undefined)).toBeUndefined();
    // The band reported is the rule's: one request per cycle (0.5 s here) is the least that is normal.
    expect(judge(s, rate, 0, wide, undefined)).toEqual({
      kind: 'level_shift',
      observed: 0,
      mean: false,
      expected: 40,
      severity: 90,
      score: 0.9,
      lower: 2,
      upper: 120,
    });
    for (let i = 0; i < 5; i++)
      expect(judge(s, rate, 0, open({ lower: 10, expected: 40 }), undefined)).toBeUndefined();
    judge(s, rate, 41, calm, undefined);
    for (let i = 0; i < 12; i++) judge(s, rate, 40, wide, undefined);
    judge(s, rate, 0, wide, undefined);
    expect(judge(s, rate, 0, wide, undefined)?.kind).toBe('level_shift');
  });

  it('does not call a rate silent when its baseline expects it quiet now (an evening after business hours)', () => {
    const s = newEpisodeState();
    for (let i = 0; i < 12; i++) judge(s, rate, 40, { ...calm, expected: 40, upper: 120 }, undefined);
    const evening = { ...calm, expected: 1, upper: 4 };
    for (let i = 0; i < 5; i++) expect(judge(s, rate, 0, evening, undefined)).toBeUndefined();
  });

  it('does not call a quiet series silent: fewer than five requests expected per cycle is normal variation', () => {
    const s = newEpisodeState();
    const quiet = { ...calm, expected: 4, upper: 12 }; // 4 req/s at 0.5 s cycles = 2 per cycle
    for (let i = 0; i < 20; i++) judge(s, rate, 4, quiet, undefined);
    for (let i = 0; i < 5; i++) expect(judge(s, rate, 0, quiet, undefined)).toBeUndefined();
  });
});

describe('judge: a rate within count noise', () => {
  // A paced client's route: 20 requests every 250 ms cycle, so regular that the detector's band
  // is under a request wide. The values are those of an event this once raised in a test service.
  const paced: SeriesSample = { ...rate, perCycle: 0.25 };
  const narrow = (over: Partial<AnomalyResult> = {}) =>
    open({ kind: 'variance', severity: 50, expected: 79.664, lower: 76.945, upper: 82.384, ...over });

  it('is no episode when it is a request or two off the expected count', () => {
    const s = newEpisodeState();
    for (let cycle = 0; cycle < 5; cycle++) expect(judge(s, paced, 76, narrow(), undefined)).toBeUndefined();
  });

  it('is still reported when it halves', () => {
    const s = newEpisodeState();
    expect(judge(s, paced, 40, narrow({ episodeStart: true }), undefined)).toBeUndefined();
    expect(judge(s, paced, 40, narrow(), undefined)).toMatchObject({ kind: 'variance', expected: 79.664 });
  });
});
