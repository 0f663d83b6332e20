import type { Attributes } from '@opentelemetry/api';
import type { Sightline, UpDownCounter } from '../../api/types.js';
import { KEYED_HISTOGRAMS, type KeyedHistograms } from '../../metrics/keyed-histograms.js';
import { switchedByWs } from './ws-socket.js';

/** The OpenTelemetry HTTP semantic-convention buckets for request durations, in seconds. */
export const HTTP_DURATION_BUCKETS_S = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];

/** A histogram whose series the caller names by key; `attributes` is called for a new key only. */
export interface KeyedDuration {
  record(seconds: number, key: string, attributes: () => Attributes): void;
}

export interface HttpServerInstruments {
  readonly duration: KeyedDuration;
  readonly active: ActiveRequests;
}

/** One `http.server.active_requests` series (a method and a scheme) and what it owes the counter. */
export interface ActiveSeries {
  readonly attributes: Attributes;
  pending: number;
  touched: boolean;
}

/** A WebSocket request counted in until ws has answered its handshake on `socket`. */
export interface ActiveUpgrade {
  readonly series: ActiveSeries;
  readonly socket: unknown;
}

/**
 * `http.server.active_requests` without two SDK recordings per request (each one hashes its
 * attributes once per metric reader): requests are counted here, per method and scheme, and the
 * net change of each series is added to the up-down counter when the metrics are collected. The
 * exported metric, its type and its values at each collection are unchanged. Series are bounded:
 * methods are already folded into the known ones.
 *
 * A WebSocket request is an HTTP request until ws has sent the 101: the connection then carries
 * the session (`websocket.server.session.duration`), which may stay open for hours and is no
 * request in flight. It is counted out at the first collection that finds its socket switched.
 */
export class ActiveRequests {
  private readonly series = new Map<string, ActiveSeries>();
  private readonly upgrades = new Set<ActiveUpgrade>();

  constructor(
    private readonly counter: UpDownCounter,
    obs: Sightline,
  ) {
    // An observable that never observes exports nothing; its callback runs at the start of every
    // collection, before the SDK reads the up-down counter: the moment to hand over the counts.
    obs.metrics.observableGauge(
      'sightline.http.server.active_requests.sync',
      { description: 'Internal: hands http.server.active_requests to the SDK; never has points.' },
      () => this.flush(),
    );
  }

  /** Counts a request in; `method` is already normalised. */
  enter(method: string, scheme: 'http' | 'https'): ActiveSeries {
    const key = scheme === 'http' ? method : `${method} https`;
    let s = this.series.get(key);
    if (s === undefined) {
      s = { attributes: { 'http.request.method': method, 'url.scheme': scheme }, pending: 0, touched: false };
      this.series.set(key, s);
    }
    s.pending++;
    s.touched = true;
    return s;
  }

  /** Counts a WebSocket request in until its handshake is answered on `socket` or it ends. */
  enterUpgrade(method: string, scheme: 'http' | 'https', socket: unknown): ActiveUpgrade {
    const upgrade = { series: this.enter(method, scheme), socket };
    this.upgrades.add(upgrade);
    return upgrade;
  }

  leave(s: ActiveSeries): void {
    s.pending--;
    s.touched = true;
  }

  /** Counts a WebSocket request out, unless its answered handshake did already. */
  leaveUpgrade(upgrade: ActiveUpgrade): void {
    if (this.upgrades.delete(upgrade)) this.leave(upgrade.series);
  }

  /** Adds each touched series' net change, zero included, so the series is reported as it was before. */
  flush(): void {
    for (const upgrade of this.upgrades) if (switchedByWs(upgrade.socket)) this.leaveUpgrade(upgrade);
    for (const s of this.series.values()) {
      if (!s.touched) continue;
      const delta = s.pending;
      s.pending = 0;
      s.touched = false;
      this.counter.add(delta, s.attributes);
    }
  }
}

/**
 * Buckets for WebSocket sessions, in seconds: from a connection refused at once to one held for a
 * working day.
 */
const WEBSOCKET_SESSION_BUCKETS_S = [0.1, 1, 10, 30, 60, 300, 600, 1800, 3600, 7200, 14400, 28800, 86400];

export interface HttpClientInstruments {
  readonly duration: KeyedDuration;
}

// One set per instance, made at the first request: never per request, and gone with the instance.
const serverCache = new WeakMap<Sightline, HttpServerInstruments>();
const clientCache = new WeakMap<Sightline, HttpClientInstruments>();
const sessionCache = new WeakMap<Sightline, KeyedDuration>();

export function httpServerInstruments(obs: Sightline): HttpServerInstruments {
  let found = serverCache.get(obs);
  if (!found) {
    found = {
      duration: keyedDuration(obs, 'http.server.request.duration', 'Duration of HTTP server requests.'),
      active: new ActiveRequests(
        obs.metrics.upDownCounter('http.server.active_requests', {
          unit: '{request}',
          description: 'Number of active HTTP server requests.',
        }),
        obs,
      ),
    };
    serverCache.set(obs, found);
  }
  return found;
}

/** `websocket.server.session.duration`, made at the first WebSocket request. */
export function webSocketSessions(obs: Sightline): KeyedDuration {
  let found = sessionCache.get(obs);
  if (!found) {
    found = keyedDuration(
      obs,
      'websocket.server.session.duration',
      'Duration of WebSocket sessions, from the upgrade request until the connection closed.',
      WEBSOCKET_SESSION_BUCKETS_S,
    );
    sessionCache.set(obs, found);
  }
  return found;
}

/**
 * The instance's keyed histogram `name`; an instance without keyed histograms (made by another
 * copy of the package) records through the SDK.
 */
function keyedDuration(
  obs: Sightline,
  name: string,
  description: string,
  buckets = HTTP_DURATION_BUCKETS_S,
): KeyedDuration {
  const options = { unit: 's', description, buckets };
  const keyed = (obs as { [KEYED_HISTOGRAMS]?: KeyedHistograms })[KEYED_HISTOGRAMS];
  if (keyed !== undefined) return keyed.histogram(name, options);
  const histogram = obs.metrics.histogram(name, options);
  return { record: (seconds, _key, attributes) => histogram.record(seconds, attributes()) };
}

export function httpClientInstruments(obs: Sightline): HttpClientInstruments {
  let found = clientCache.get(obs);
  if (!found) {
    found = {
      duration: keyedDuration(obs, 'http.client.request.duration', 'Duration of HTTP client requests.'),
    };
    clientCache.set(obs, found);
  }
  return found;
}
