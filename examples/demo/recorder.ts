/**
 * The controller's record of a run: every collection cycle's band per watched series, every
 * anomaly event, both as seconds since the load started.
 */
import type { AnomalyEvent } from 'sightline';
import type { BandPoint } from './protocol.js';
import type { ServiceName } from './scenario.js';

export interface SeriesPoint {
  readonly t: number;
  readonly observed: number;
  readonly expected: number;
  readonly lower: number;
  readonly upper: number;
  readonly score: number;
}

export interface Series {
  readonly key: string;
  readonly service: ServiceName;
  readonly metric: string;
  /** `GET /products` */
  readonly route: string;
  readonly points: SeriesPoint[];
}

export interface Alert {
  readonly t: number;
  readonly service: ServiceName;
  readonly route: string;
  readonly event: AnomalyEvent;
}

export const seriesKey = (service: string, metric: string, route: string) => `${service} ${metric} ${route}`;

export class Recorder {
  readonly series = new Map<string, Series>();
  readonly alerts: Alert[] = [];
  /** Set when the load stops: the silence that follows is the end of the demo, not an outage. */
  closedAt: number | undefined;
  constructor(readonly startMs: number) {}

  elapsed(timeMs = Date.now()): number {
    return (timeMs - this.startMs) / 1000;
  }

  addBands(service: ServiceName, time: number, bands: readonly BandPoint[]): void {
    const t = this.elapsed(time);
    for (const b of bands) {
      const route = `${b.method} ${b.route}`.trim();
      const key = seriesKey(service, b.metric, route);
      let s = this.series.get(key);
      if (s === undefined) {
        s = { key, service, metric: b.metric, route, points: [] };
        this.series.set(key, s);
      }
      s.points.push({
        t,
        observed: b.observed,
        expected: b.expected,
        lower: b.lower,
        upper: b.upper,
        score: b.score,
      });
    }
  }

  addAnomaly(service: ServiceName, event: AnomalyEvent): Alert | undefined {
    if (this.closedAt !== undefined && event.time >= this.closedAt) return undefined;
    const a = event.attributes;
    const route = `${String(a['http.request.method'] ?? '')} ${String(a['http.route'] ?? '')}`.trim();
    const alert = { t: this.elapsed(event.time), service, route, event };
    this.alerts.push(alert);
    return alert;
  }

  /** The latest observed value of a series, or NaN. */
  latest(service: ServiceName, metric: string, route: string): number {
    const s = this.series.get(seriesKey(service, metric, route));
    const last = s?.points[s.points.length - 1];
    return last?.observed ?? Number.NaN;
  }

  /** The last `n` observed values of a series. */
  tail(service: ServiceName, metric: string, route: string, n: number): number[] {
    const s = this.series.get(seriesKey(service, metric, route));
    return s ? s.points.slice(-n).map((p) => p.observed) : [];
  }
}
