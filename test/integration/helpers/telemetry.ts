import type { ReadableSpan } from '@opentelemetry/sdk-trace-node';
import type { Sightline } from '../../../src/api/types.js';
import type { MemoryExporter, MemoryMetricPoint } from '../../../src/testing/index.js';

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
