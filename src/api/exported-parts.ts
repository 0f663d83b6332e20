import type { ExportedSignal } from '../config/otel-exporters.js';
import type { AdapterParts } from '../export/types.js';
import { safeCall } from './wait.js';

/**
 * An adapter's parts without the signals OTEL_<SIGNAL>_EXPORTER=none turned off. What it made for
 * them is shut down at once, so their channels hold no timer and nothing reaches them.
 */
export function exportedParts(parts: AdapterParts, off: readonly ExportedSignal[]): AdapterParts {
  if (off.length === 0) return parts;
  const kept = { ...parts };
  if (off.includes('traces') && kept.spanExporter) {
    void safeCall(() => parts.spanExporter?.shutdown());
    delete kept.spanExporter;
  }
  if (off.includes('metrics') && kept.metricExporter) {
    void safeCall(() => parts.metricExporter?.shutdown());
    delete kept.metricExporter;
  }
  if (off.includes('logs') && kept.logSink) {
    void safeCall(() => parts.logSink?.shutdown?.());
    delete kept.logSink;
  }
  return kept;
}
