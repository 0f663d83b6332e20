import autocannon from 'autocannon';
import type { Framework } from './service-process.js';

/** The parts of autocannon's options and result used here (the package ships no types). */
interface Request {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}
interface Result {
  requests: { total: number };
  latency: { p99: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
const run = autocannon as unknown as (options: {
  url: string;
  connections: number;
  duration: number;
  requests: Request[];
}) => Promise<Result>;

/** One bounded run of loopback load against a service. */
export interface LoadSample {
  /** Requests per second over the run. */
  rps: number;
  /** 99th percentile latency in ms (autocannon's histogram has 1 ms resolution). */
  p99: number;
  /** Responses that were not the expected 2xx, plus socket errors and timeouts. */
  failures: number;
  requests: number;
  /** CPU time the service process spent per request, in µs (filled in by the caller). */
  cpuPerRequest: number;
}

/** The request each example service answers: the checkout's POST, the inventory's GET. */
export function routeOf(framework: Framework): Request {
  return framework === 'express'
    ? {
        method: 'POST',
        path: '/checkout/book',
        headers: { 'content-type': 'application/json' },
        body: '{"quantity":1}',
      }
    : { method: 'GET', path: '/v1/items/book' };
}

/** Runs autocannon for `durationMs` with `connections` keep-alive connections. */
export async function load(
  port: number,
  framework: Framework,
  durationMs: number,
  connections = 16,
): Promise<LoadSample> {
  const route = routeOf(framework);
  const result = await run({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration: durationMs / 1000,
    requests: [route],
  });
  const requests = result.requests.total;
  return {
    rps: requests / (durationMs / 1000),
    p99: result.latency.p99,
    failures: result.non2xx + result.errors + result.timeouts,
    requests,
    cpuPerRequest: Number.NaN,
  };
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};
