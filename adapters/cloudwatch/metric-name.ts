import { cutDistinct } from '../../src/export/index.js';
import { CUT_MARK } from './dimensions.js';

/**
 * A metric name within the `maxChars` CloudWatch takes (255 for PutMetricData, 1,024 in EMF): a
 * longer one ends in `~` and a digest of the whole, so metrics whose names share their first
 * characters stay two metrics, and `onCut` hears of it.
 *
 * @example
 * metricName(`orders.${'x'.repeat(300)}`, 255).length; // 255
 */
export function metricName(name: string, maxChars: number, onCut?: () => void): string {
  if (name.length <= maxChars) return name;
  onCut?.();
  return cutDistinct(name, maxChars, CUT_MARK);
}
