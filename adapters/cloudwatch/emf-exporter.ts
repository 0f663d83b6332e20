import type { ExportResult } from '@opentelemetry/core';
import {
  AggregationTemporality,
  InstrumentType,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import {
  type DropReason,
  encodeTurn,
  flattenResourceMetrics,
  type MetricPoint,
  type SignalStats,
} from '../../src/export/index.js';
import { LEFT_OUT_REASONS, type OnLeftOut } from './dimensions.js';
import { EmfEncoder, type EmfSettings } from './encode-emf.js';

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
 * Points grouped, and documents written, in one turn of the event loop: a few milliseconds of work.
 * A big collection (10,000 series: five instruments at the cardinality limit) written at once would
 * hold the service's requests for all of it.
 */
const POINTS_PER_TURN = 1000;
const DOCUMENTS_PER_TURN = 200;

/**
 * A metric exporter that writes each collection as EMF documents, one JSON line each, through
 * `write`. It runs at collection time on the reader's timer, never on the recording path.
 *
 * @example
 * const exporter = createEmfExporter(settings, ctx.writeStdout, new WriteStats(), reportLeftOut(ctx, 'metrics'));
 */
export function createEmfExporter(
  settings: EmfSettings,
  write: LineWriter,
  stats: WriteStats,
  onLeftOut: OnLeftOut,
): PushMetricExporter {
  let shutDown = false;

  /** Groups the points, then builds and writes the documents, a piece per turn of the event loop. */
  async function writeCollection(metrics: ResourceMetrics): Promise<void> {
    let skipped = 0;
    const points = flattenResourceMetrics(metrics, (n) => {
      skipped += n;
    });
    const encoder = new EmfEncoder(settings);
    for (let i = 0; i < points.length; i++) {
      if (i % POINTS_PER_TURN === 0 && i > 0) await encodeTurn();
      encoder.add(points[i] as MetricPoint);
    }
    stats.add(0, skipped + encoder.invalid, 'invalid');
    for (const reason of LEFT_OUT_REASONS) {
      if (encoder.leftOut[reason] > 0) onLeftOut(encoder.leftOut[reason], reason);
    }
    let written = 0;
    for (const doc of encoder.documents()) {
      if (++written % DOCUMENTS_PER_TURN === 0) await encodeTurn();
      const lost = writeLine(write, doc.line);
      if (lost === undefined) stats.add(doc.points, 0, 'rejected');
      else stats.add(0, doc.points, lost);
    }
  }

  return {
    export(metrics: ResourceMetrics, done: (result: ExportResult) => void) {
      if (shutDown) return done({ code: 1, error: new Error('exporter is shut down') });
      writeCollection(metrics).then(
        () => done(SUCCESS),
        () => {
          stats.add(0, 1, 'encode_error');
          done(SUCCESS);
        },
      );
    },
    selectAggregationTemporality: temporality,
    forceFlush: () => Promise.resolve(),
    shutdown() {
      shutDown = true;
      return Promise.resolve();
    },
  };
}
