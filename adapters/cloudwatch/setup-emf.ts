import type { AdapterContext, AdapterParts, AdapterStats } from '../../src/export/index.js';
import { reportLeftOut } from './dimensions.js';
import type { AdapterSettings } from './settings.js';
import { createEmfExporter, type LineWriter, WriteStats, writeLine } from './emf-exporter.js';
import { encodeAnomalyEvent } from './encode-events.js';

/**
 * Emf mode: metrics as EMF lines through `write` at each collection, anomaly events as one line
 * that is both a log event and an EMF document. Log lines need nothing here: they already go to
 * stdout, where Lambda, the ECS log driver or the CloudWatch agent pick them up.
 */
export function setupEmf(s: AdapterSettings, ctx: AdapterContext): AdapterParts & { stats(): AdapterStats } {
  const { options } = s;
  const own = options.write;
  const write: LineWriter = own
    ? (line) => {
        own(line);
        return true;
      }
    : ctx.writeStdout;
  const metricStats = new WriteStats();
  const eventStats = new WriteStats();
  const metricExporter = createEmfExporter(
    {
      namespace: s.namespace,
      dimensions: s.dimensions,
      storageResolution: options.storageResolution,
      maxHistogramValues: options.maxHistogramValues,
      // A `write` of the user's own takes each document whole, whatever its length.
      maxLineBytes: own ? undefined : ctx.stdoutWholeLineBytes,
    },
    write,
    metricStats,
    reportLeftOut(ctx, 'metrics'),
  );
  const parts: AdapterParts & { stats(): AdapterStats } = {
    metricExporter,
    stats: () => ({
      metrics: metricStats.snapshot(),
      ...(options.events ? { events: eventStats.snapshot() } : {}),
    }),
  };
  if (options.events) {
    const onLeftOut = reportLeftOut(ctx, 'events');
    parts.eventSink = (event) => {
      try {
        const { message } = encodeAnomalyEvent(event, s, onLeftOut);
        const lost = writeLine(write, message);
        if (lost === undefined) eventStats.add(1, 0, 'rejected');
        else eventStats.add(0, 1, lost);
      } catch {
        eventStats.add(0, 1, 'encode_error');
      }
    };
  }
  return parts;
}
