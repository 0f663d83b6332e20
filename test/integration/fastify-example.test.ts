/**
 * The inventory API example (examples/fastify-api): the console lines of one item's request, as
 * its README shows them.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { createInventoryApp } from '../../examples/fastify-api/app.js';
import { init } from '../../src/index.js';

const printed: Record<string, unknown>[] = [];
const obs = init({
  service: 'inventory-api',
  version: '1.0.0',
  outbound: false,
  anomaly: false,
  handleSignals: false,
  logStream: { write: (line: string) => printed.push(JSON.parse(line)) },
});
const app = await createInventoryApp(obs);
afterAll(async () => {
  await app.close();
  await obs.shutdown({ timeoutMs: 1000 });
});

/** The README's lines for one item, as JSON, and the fields it says it leaves out. */
function shownLines(): Record<string, unknown>[] {
  const readme = readFileSync('examples/fastify-api/README.md', 'utf8');
  const block = readme.match(/```json\n([\s\S]*?)```/)?.[1] ?? '';
  return block
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}
const LEFT_OUT = new Set(['time', 'deployment.environment.name', 'service.version']);

describe('the Fastify example', () => {
  it("prints for one item the README's lines, field by field, the access-log duration no shorter than Fastify's responseTime", async () => {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as { port: number };
    expect((await fetch(`http://127.0.0.1:${port}/v1/items/book`)).status).toBe(200);
    while (!printed.some((l) => l.msg === 'request completed')) await new Promise((r) => setTimeout(r, 10));

    const shown = shownLines();
    const ofRequest = printed.filter((l) => l.msg !== `Server listening at http://127.0.0.1:${port}`);
    expect(ofRequest.map((l) => l.msg)).toEqual(shown.map((l) => l.msg));
    for (const [i, line] of ofRequest.entries()) {
      expect(Object.keys(line).filter((k) => !LEFT_OUT.has(k))).toEqual(Object.keys(shown[i]!));
    }
    // Both time the request from when Fastify took it; the access-log line at sightline's
    // onResponse hook, after the response's 'finish' that ends Fastify's responseTime. The
    // access-log line's duration is rounded to the microsecond.
    const duration = (lines: Record<string, unknown>[]) => Number(lines[2]?.duration_ms);
    const responseTime = (lines: Record<string, unknown>[]) => Number(lines[3]?.responseTime);
    expect(duration(ofRequest) + 0.001).toBeGreaterThanOrEqual(responseTime(ofRequest));
    expect(duration(shown)).toBeGreaterThanOrEqual(responseTime(shown));
  });
});
