/**
 * The load generator: autocannon on 127.0.0.1, at a rate that follows the scenario's day.
 *
 * autocannon's rate limit sends each connection's per-second quota in one burst at the start of
 * each second, which a sub-second metric interval would see as alternating floods and silences.
 * So each route is driven by several small autocannon runs started at evenly staggered offsets
 * within the second (bursts every 1000/runners ms), each restarted every slice with the rate of
 * the moment: a smooth, open-loop load (a slow server does not slow the callers down).
 */
import { createRequire } from 'node:module';
import { type LoadRoute, rateAt, type Scenario } from './scenario.js';

interface CannonResult {
  requests: { total: number };
  non2xx: number;
  timeouts: number;
}
interface CannonInstance {
  stop(): void;
}
type Cannon = (
  options: Record<string, unknown>,
  done: (err: Error | null, result: CannonResult) => void,
) => CannonInstance;

const MAX_PER_RUNNER = 2;

// autocannon ships no types; the parts used here are typed above.
const autocannon = createRequire(import.meta.url)('autocannon') as Cannon;

export interface RouteLoad {
  readonly route: string;
  sent: number;
  non2xx: number;
  timeouts: number;
}

export interface LoadOptions {
  /** Runs per route, staggered over the second. */
  readonly runners?: number;
  /** Seconds between restarts of a run with a new rate. */
  readonly sliceS?: number;
}

/**
 * Drives the scenario's routes against `baseUrl` from `startMs` until the scenario's end, then
 * stops by itself. `stop()` ends it early.
 *
 * @example
 * const load = new LoadDriver(scenario, 'http://127.0.0.1:41234', Date.now());
 * await load.done;
 */
export class LoadDriver {
  readonly routes: RouteLoad[];
  readonly done: Promise<void>;
  private readonly running = new Set<CannonInstance>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  private finish!: () => void;

  constructor(
    private readonly scenario: Scenario,
    private readonly baseUrl: string,
    private readonly startMs: number,
    options: LoadOptions = {},
  ) {
    const sliceS = options.sliceS ?? 6;
    this.routes = scenario.routes.map((r) => ({ route: r.route, sent: 0, non2xx: 0, timeouts: 0 }));
    this.done = new Promise((resolve) => {
      this.finish = resolve;
    });
    scenario.routes.forEach((route, i) => {
      // At most MAX_PER_RUNNER requests a second per run: a burst stays short even when the
      // machine is busy, and bursts come several times per cycle.
      const peak = route.rate * (1 + scenario.amplitude);
      const runners = options.runners ?? Math.max(5, Math.ceil(peak / MAX_PER_RUNNER));
      for (let j = 0; j < runners; j++) {
        this.schedule(route, this.routes[i]!, j, runners, sliceS, (j * 1000) / runners);
      }
    });
    this.stopAtEnd();
  }

  /** Stops at the scenario's end, read again when it comes: a fault held back moves it later. */
  private stopAtEnd(): void {
    const endMs = this.scenario.durationS * 1000;
    this.at(endMs, () => (this.scenario.durationS * 1000 > endMs ? this.stopAtEnd() : this.stop()));
  }

  /** Requests per second a runner sends now: the route's rate split over the runners. */
  private share(route: LoadRoute, j: number, runners: number, t: number): number {
    const total = Math.round(rateAt(this.scenario, route, t));
    return Math.floor(total / runners) + (j < total % runners ? 1 : 0);
  }

  /**
   * Runner `j` ticks every second at its offset; when idle it starts a run of `sliceS` seconds
   * (one second next to a traffic drop, so the drop starts and ends on time).
   */
  private schedule(
    route: LoadRoute,
    stats: RouteLoad,
    j: number,
    runners: number,
    sliceS: number,
    offsetMs: number,
  ) {
    let busyUntilMs = 0;
    const tick = (atMs: number) => {
      if (atMs >= this.scenario.durationS * 1000) return;
      this.at(atMs, () => {
        tick(atMs + 1000);
        if (atMs < busyUntilMs) return;
        const t = atMs / 1000;
        const rate = this.share(route, j, runners, t);
        if (rate < 1) return;
        let lengthS = this.dropsWithin(route, t, t + sliceS) ? 1 : sliceS;
        lengthS = Math.min(lengthS, this.scenario.durationS - t);
        // Each run ends a little before the runner's next burst would fall due.
        if (lengthS - 0.2 < 0.3) return;
        this.fire(route, stats, rate, lengthS - 0.2);
        busyUntilMs = atMs + lengthS * 1000;
      });
    };
    tick(offsetMs);
  }

  private dropsWithin(route: LoadRoute, from: number, to: number): boolean {
    return this.scenario.faults.some(
      (f) => f.id === 'traffic-drop' && f.route === route.route && f.startS < to && f.endS > from,
    );
  }

  private fire(route: LoadRoute, stats: RouteLoad, rate: number, durationS: number): void {
    if (this.stopped) return;
    const amount = Math.max(1, Math.round(rate * durationS));
    const instance = autocannon(
      {
        url: `${this.baseUrl}${route.path}`,
        method: route.method,
        ...(route.body ? { body: route.body, headers: { 'content-type': 'application/json' } } : {}),
        // A connection per request a second: one waits for its response before the next request,
        // so a single one would send fewer while a fault slows the server, then the backlog in a
        // burst once it recovers. Each connection ends after its last response, never cutting a
        // request short (the server would record it as aborted, an error).
        connections: Math.min(rate, amount),
        overallRate: rate,
        amount,
        timeout: 10,
      },
      (err, result) => {
        this.running.delete(instance);
        this.settle();
        if (err || !result) return;
        stats.sent += result.requests.total;
        stats.non2xx += result.non2xx;
        stats.timeouts += result.timeouts;
      },
    );
    this.running.add(instance);
  }

  private at(atMs: number, fn: () => void): void {
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        if (!this.stopped) fn();
      },
      Math.max(0, this.startMs + atMs - Date.now()),
    );
    this.timers.add(timer);
  }

  /** Starts no more runs; `done` resolves once the running ones have sent their last request. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.settle();
    // A run stuck on a dead server must not hold the demo forever.
    setTimeout(() => {
      for (const r of this.running) r.stop();
      this.finish();
    }, 15_000).unref();
  }

  private settle(): void {
    if (this.stopped && this.running.size === 0) this.finish();
  }
}
