import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { datadog } from '../../../adapters/datadog/index.js';
import { getSightline, init } from '../../../src/index.js';
import { KEY } from './helpers.js';

// dd-trace initialises once per process: this file starts it with an Agent on a Unix socket, as
// the Agent is often reached in containers (DD_TRACE_AGENT_URL=unix:///var/run/datadog/apm.socket).
const socketPath = join(mkdtempSync(join(tmpdir(), 'sl-dd-socket-')), 'apm.socket');
const traces: Buffer[] = [];
const agent = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    if (/^\/v0\.[45]\/traces$/.test(req.url ?? '')) traces.push(Buffer.concat(chunks));
    res.setHeader('content-type', 'application/json');
    res.end('{}');
  });
});

afterAll(async () => {
  await getSightline()?.shutdown({ timeoutMs: 2000 });
  await new Promise((resolve) => agent.close(resolve));
});

async function sentToAgent(name: string): Promise<void> {
  for (let i = 0; i < 500 && !traces.some((body) => body.includes(name)); i++)
    await new Promise((resolve) => setTimeout(resolve, 10));
  expect(traces.some((body) => body.includes(name))).toBe(true);
}

describe("traces: 'dd-trace' with the Agent on a Unix socket", () => {
  it("leaves dd-trace's own calls to the Agent untraced, so no send is exported by the next one", async () => {
    await new Promise<void>((resolve) => agent.listen(socketPath, resolve));
    const obs = init({
      service: 'checkout',
      exporters: [
        datadog({
          apiKey: KEY,
          processEnv: { DD_TRACE_AGENT_URL: `unix://${socketPath}` },
          hostname: 'web-01',
          metrics: 'none',
          events: false,
          traces: 'dd-trace',
          ddTrace: { flushInterval: 50 },
        }),
      ],
      logStream: { write: () => {} },
      anomaly: false,
      outbound: true,
    });
    for (const name of ['dd-socket-first', 'dd-socket-second', 'dd-socket-third']) {
      obs.trace(name, () => undefined);
      await obs.forceFlush();
      await sentToAgent(name);
    }
    expect(traces.filter((body) => body.includes('url.full'))).toEqual([]);
  });
});
