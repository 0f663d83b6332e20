import type { LogFormat } from '../../src/export/index.js';
import { toXRayTraceId } from './xray-ids.js';

/**
 * The log line fields CloudWatch users look for: the core already writes the W3C `trace_id` and
 * `span_id`; this adds the X-Ray form of the trace id under `xrayKey` (`xray_trace_id` by default,
 * `AWS-XRAY-TRACE-ID` is the other common name) so Logs Insights queries can join with X-Ray traces.
 *
 * @example
 * cloudWatchLogFormat('xray_trace_id').correlate?.('5759e988bd862e3fe1be46a994272793', 'a', 1);
 * // { xray_trace_id: '1-5759e988-bd862e3fe1be46a994272793' }
 */
export function cloudWatchLogFormat(xrayKey: string): LogFormat {
  return {
    correlate(traceId) {
      const xray = toXRayTraceId(traceId);
      return xray === undefined ? {} : { [xrayKey]: xray };
    },
  };
}
