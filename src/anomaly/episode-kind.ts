import { F, K, Layout, Member } from './detector-layout.js';
import { DAY } from './detector-state.js';
import type { AnomalyKind } from './types.js';

// `s` and `p` are a detector's float state and float32 storage, `zAt` where its z ring starts and
// `zIdx` the ring's next write position, `dayAt` and `stride` where its daily profile is.

/**
 * The kind at the first point of an episode is the one the engine reports, so it uses all the
 * evidence already at hand: the member that fired, the recent residuals and the seasonal model.
 */
export function classifyEpisode(
  s: Float64Array,
  p: Float32Array,
  zAt: number,
  zIdx: number,
  model: number,
  dayAt: number,
  stride: number,
  member: number,
  z: number,
  y: number,
  outage: boolean,
  spread: number,
): AnomalyKind {
  if (outage) return 'level_shift';
  if (member === Member.flat) return 'flatline';
  if (member === Member.variance) return 'variance';
  // Large residuals of both signs in the short window: the noise widened (a burst), whichever
  // member crossed first. Several large residuals of this sign, the last ones included: a step.
  const len = Layout.zWindow;
  let bigUp = 0;
  let bigDown = 0;
  for (let k = 0; k < len; k++) {
    const v = p[zAt + k]!;
    if (v >= K.recoverZ) bigUp++;
    else if (v <= -K.recoverZ) bigDown++;
  }
  if ((bigUp >= 2 && bigDown >= 2) || (bigUp >= 1 && bigDown >= 1 && spread > K.varianceSpread)) {
    return 'variance';
  }
  let run = 0;
  for (let k = 1; k <= len; k++) {
    const v = p[zAt + ((zIdx - k + len) % len)]! * (z >= 0 ? 1 : -1);
    if (v < K.recoverZ) break;
    run++;
  }
  if (model >= 1) {
    // Normal for the series at some time of day, just not now: the pattern broke.
    const [lo, hi] = DAY.range(p, dayAt, stride, s);
    const spread = hi - lo;
    if (spread > 0 && y >= s[F.lvlB]! + lo - 0.1 * spread && y <= s[F.lvlB]! + hi + 0.1 * spread) {
      return 'seasonality_break';
    }
  }
  // The deviation built up over the whole short window (a ramp) rather than in its last few
  // points (a step or a spike): a drift.
  const meanW = s[F.zSum]! / Layout.zWindow;
  // The ring holds clipped z: compare like with like.
  if (
    meanW * z > 0 &&
    Math.abs(meanW) >= 0.4 * Math.min(Math.abs(z), K.meanClip) &&
    Math.abs(z) >= K.recoverZ
  ) {
    return 'drift';
  }
  if ((member === Member.slow || member === Member.drift) && Math.abs(z) < 3) return 'drift';
  if (member === Member.slow || member === Member.window || member === Member.drift || run >= 3) {
    return 'level_shift';
  }
  return z >= 0 ? 'spike' : 'dip';
}
