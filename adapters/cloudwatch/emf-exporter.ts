import type { ExportResult } from '@opentelemetry/core';
import {
  AggregationTemporality,
  InstrumentType,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { type DropReason, flattenResourceMetrics, type SignalStats } from '../../src/export/index.js';
import type { OnLeftOut } from './dimensions.js';
import { type EmfSettings, encodeEmf } from './encode-emf.js';

/** Counts for a signal written to a local stream: nothing is ever queued. */
export class WriteStats {
  private produced = 0;
  private delivered = 0;
  private readonly dropped: Partial<Record<DropReason, number>> = {};

  add(delivered: number, dropped: number, reason: DropReason): void {
    this.produced += delivered + dropped;
    this.delivered += delivered;
    if (dropped > 0) this.dropped[reason] = (this.dropped[reason] ?? 0) + dropped;
  }

  snapshot(): SignalStats {
    return {
      produced: this.produced,
      delivered: this.delivered,
      retried: 0,
      queued: 0,
      dropped: { ...this.dropped },
    };
  }
}

/** Writes one line ending in a newline; `false` when it dropped the line (stdout's buffer full, or its reader gone). */
export type LineWriter = (line: string) => boolean;

/**
 * Writes one line; why it was lost, if it was: stdout's buffer full, or a writer that threw (a closed
 * stdout must not break the collection).
 */
export function writeLine(write: LineWriter, line: string): DropReason | undefined {
  try {
    return write(`${line}\n`) ? undefined : 'queue_full';
  } catch {
    return 'rejected';
  }
}

// Counters and histograms as deltas (what CloudWatch sums per period); up-down counters and gauges as values.
function temporality(type: InstrumentType): AggregationTemporality {
  return type === InstrumentType.COUNTER ||
    type === InstrumentType.OBSERVABLE_COUNTER ||
    type === InstrumentType.HISTOGRAM
    ? AggregationTemporality.DELTA
    : AggregationTemporality.CUMULATIVE;
}

const SUCCESS: ExportResult = { code: 0 };

/**
 * A metric exporter that writes each collection as EMF documents, one JSON line each, through
 * `write`. It runs at collection time on the reader's timer, never on the recording path.
 *
 * @example
 * const exporter = createEmfExporter(settings, ctx.writeStdout, new WriteStats(), reportLeftOut(diag, 'metrics'));
 */
export function createEmfExporter(
  settings: EmfSettings,
  write: LineWriter,
  stats: WriteStats,
  onLeftOut: OnLeftOut,
): PushMetricExporter {
  let shutDown = false;
  return {
    export(metrics: ResourceMetrics, done: (result: ExportResult) => void) {
      if (shutDown) return done({ code: 1, error: new Error('exporter is shut down') });
      try {
        let skipped = 0;
        const points = flattenResourceMetrics(metrics, (n) => {
          skipped += n;
        });
        const batch = encodeEmf(points, settings);
        stats.add(0, skipped + batch.invalid, 'invalid');
        if (batch.truncatedDimensions > 0) onLeftOut(batch.truncatedDimensions, 'limit');
        if (batch.reservedDimensions > 0) onLeftOut(batch.reservedDimensions, 'reserved');
        for (const doc of batch.documents) {
          const lost = writeLine(write, doc.line);
          if (lost === undefined) stats.add(doc.points, 0, 'rejected');
          else stats.add(0, doc.points, lost);
        }
      } catch {
        stats.add(0, 1, 'encode_error');
      }
      done(SUCCESS);
    },
    selectAggregationTemporality: temporality,
    forceFlush: () => Promise.resolve(),
    shutdown() {
      shutDown = true;
      return Promise.resolve();
    },
  };
}
