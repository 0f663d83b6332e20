import type { ReadableSpan } from '@opentelemetry/sdk-trace-node';
import type { Sightline } from '../../../src/api/types.js';
import type { MemoryExporter, MemoryMetricPoint } from '../../../src/testing/index.js';
import { type heldRequests, pipelinedThenGone } from './http-client.js';

/** Polls (flushing each time) until `count` spans match. */
export async function waitForSpans(
  obs: Sightline,
  memory: MemoryExporter,
  filter: (span: ReadableSpan) => boolean,
  count = 1,
): Promise<ReadableSpan[]> {
  for (let i = 0; i < 200; i++) {
    await obs.forceFlush();
    const found = memory.spans().filter(filter);
    if (found.length >= count) return found;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`expected ${count} matching spans, got ${memory.spans().filter(filter).length}`);
}

/** The duration histogram point for a route, after a flush. */
export async function durationPoint(
  obs: Sightline,
  memory: MemoryExporter,
  name: string,
  match: Record<string, unknown>,
): Promise<MemoryMetricPoint | undefined> {
  await obs.forceFlush();
  return memory
    .metrics()
    .find((p) => p.name === name && Object.entries(match).every(([k, v]) => p.attributes[k] === v));
}

/**
 * The name and error.type of the SERVER spans whose path starts with `prefix`, once `count` have
 * ended, and the requests http.server.active_requests counts in flight then, all methods together.
 */
export async function endedRequests(
  obs: Sightline,
  memory: MemoryExporter,
  prefix: string,
  count: number,
): Promise<{ spans: unknown[][]; active: number }> {
  const spans = await waitForSpans(
    obs,
    memory,
    (s) => String(s.attributes['url.path']).startsWith(prefix),
    count,
  );
  await obs.forceFlush();
  const active = memory
    .metrics()
    .filter((p) => p.name === 'http.server.active_requests')
    .reduce((sum, p) => sum + (p.value as number), 0);
  return { spans: spans.map((s) => [s.name, s.attributes['error.type']]), active };
}

/**
 * Sends a GET, a POST with a body and a GET to `/queued/:n` (a `held` route) pipelined on one
 * connection, drops it once they have all come, and returns how they ended (see endedRequests).
 */
export async function droppedPipeline(
  obs: Sightline,
  memory: MemoryExporter,
  base: string,
  held: ReturnType<typeof heldRequests>,
): Promise<{ spans: unknown[][]; active: number }> {
  // The POST's body is read while its answer waits: Node 22 closes its request then.
  await pipelinedThenGone(base, ['GET /queued/1', 'POST /queued/2', 'GET /queued/3'], held.reached(3));
  return endedRequests(obs, memory, '/queued/', 3);
}
