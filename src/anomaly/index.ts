/**
 * `sightline/anomaly`: a streaming, per-series anomaly detector with O(1) updates and a few KB
 * of state per series.
 *
 * @example
 * ```ts
 * import { createDetector } from 'sightline/anomaly';
 *
 * const detector = createDetector({ sensitivity: 'medium', direction: 'both' });
 * const r = detector.update(123, Date.now());
 * if (r.episodeStart) console.warn(`${r.kind} (severity ${r.severity}), expected ~${r.expected}`);
 * ```
 *
 * @packageDocumentation
 */
import { StreamingDetector } from './detector.js';
import type { Detector, DetectorOptions } from './types.js';

/**
 * Creates a detector for one series. Throws {@link AnomalyOptionError} on invalid options.
 *
 * @example
 * ```ts
 * const latency = createDetector({ direction: 'up', seasonality: 'daily' });
 * const r = latency.update(0.231, Date.parse('2026-01-05T10:00:00Z'));
 * r.anomaly; // false during warm-up
 * ```
 */
export function createDetector(options?: DetectorOptions): Detector {
  return new StreamingDetector(options);
}

export { AnomalyOptionError } from './errors.js';
export type {
  AnomalyDirection,
  AnomalyKind,
  AnomalyResult,
  Detector,
  DetectorOptions,
  SeasonalityMode,
  SensitivityPreset,
} from './types.js';
