/** What the HTML report shows, gathered at the end of a run, and writing it to a file. */
import { writeFileSync } from 'node:fs';
import type { LogRecord, SpanRecord } from './protocol.js';
import type { Recorder, Series } from './recorder.js';
import { renderReport } from './report-html.js';
import type { Scenario } from './scenario.js';
import type { Verdict } from './verdict.js';

/** One slow request, as spans from both services and the log lines written inside it. */
export interface SlowTrace {
  readonly traceId: string;
  readonly route: string;
  readonly durationMs: number;
  readonly spans: readonly SpanRecord[];
  readonly logs: readonly LogRecord[];
}

export interface ReportData {
  readonly scenario: Scenario;
  readonly startedAt: number;
  readonly wallS: number;
  readonly recorder: Recorder;
  readonly verdict: Verdict;
  readonly trace: SlowTrace | undefined;
  readonly load: readonly { route: string; sent: number; non2xx: number; timeouts: number }[];
}

/** The watched series in report order: by service, route, then rate / p95 / errors. */
export function orderedSeries(recorder: Recorder): Series[] {
  const metricOrder = [
    'http.server.request.rate',
    'http.server.request.duration.p95',
    'http.server.error.rate',
  ];
  return [...recorder.series.values()]
    .filter((s) => s.points.some((p) => p.t >= 0))
    .sort(
      (a, b) =>
        a.service.localeCompare(b.service) ||
        a.route.localeCompare(b.route) ||
        metricOrder.indexOf(a.metric) - metricOrder.indexOf(b.metric),
    );
}

/** Writes the self-contained HTML report. */
export function writeReport(file: string, data: ReportData): void {
  writeFileSync(file, renderReport(data));
}
