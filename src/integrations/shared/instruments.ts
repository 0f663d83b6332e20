import type { Histogram, Sightline, UpDownCounter } from '../../api/types.js';

/** The OpenTelemetry HTTP semantic-convention buckets for request durations, in seconds. */
export const HTTP_DURATION_BUCKETS_S = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];

export interface HttpServerInstruments {
  readonly duration: Histogram;
  readonly active: UpDownCounter;
}

export interface HttpClientInstruments {
  readonly duration: Histogram;
}

// One set per instance, made at the first request: never per request, and gone with the instance.
const serverCache = new WeakMap<Sightline, HttpServerInstruments>();
const clientCache = new WeakMap<Sightline, HttpClientInstruments>();

export function httpServerInstruments(obs: Sightline): HttpServerInstruments {
  let found = serverCache.get(obs);
  if (!found) {
    found = {
      duration: obs.metrics.histogram('http.server.request.duration', {
        unit: 's',
        description: 'Duration of HTTP server requests.',
        buckets: HTTP_DURATION_BUCKETS_S,
      }),
      active: obs.metrics.upDownCounter('http.server.active_requests', {
        unit: '{request}',
        description: 'Number of active HTTP server requests.',
      }),
    };
    serverCache.set(obs, found);
  }
  return found;
}

export function httpClientInstruments(obs: Sightline): HttpClientInstruments {
  let found = clientCache.get(obs);
  if (!found) {
    found = {
      duration: obs.metrics.histogram('http.client.request.duration', {
        unit: 's',
        description: 'Duration of HTTP client requests.',
        buckets: HTTP_DURATION_BUCKETS_S,
      }),
    };
    clientCache.set(obs, found);
  }
  return found;
}
