import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { isSpanContextValid, trace } from '@opentelemetry/api';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDdTrace } from '../../../adapters/datadog/dd-trace.js';
import { getSightline, SightlineConfigError } from '../../../src/index.js';
import { KEY, start } from './helpers.js';
import { close, listen } from '../../integration/helpers/http-client.js';
import { IntakeServer } from './intake-server.js';
import { decodeTraces } from './msgpack.js';

// dd-trace initialises once per process: this file holds the only test that starts it.
let server: IntakeServer | undefined;
afterAll(async () => {
  await getSightline()?.shutdown({ timeoutMs: 2000 });
  await server?.close();
});

/** msgpack uint64: 0xcf and eight big-endian bytes. */
function uint64(decimal: string): Buffer {
  const b = Buffer.alloc(9);
  b[0] = 0xcf;
  b.writeBigUInt64BE(BigInt(decimal), 1);
  return b;
}

describe("traces: 'dd-trace'", () => {
  it("registers dd-trace's tracer provider: spans reach the Agent, log ids match the Agent's", async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs, lines } = start(
      server,
      {
        metrics: 'none',
        events: false,
        traces: 'dd-trace',
        endpoints: { traces: server.url('') },
        ddTrace: { flushInterval: 50 },
      },
      { outbound: true },
    );
    obs.trace('dd-place-order', () => obs.log.info('inside the span'));
    await obs.forceFlush();
    const isTraces = (p: string) => p === '/v0.4/traces' || p === '/v0.5/traces';
    await server.waitFor(() =>
      server!.requests.some((r) => isTraces(r.path) && r.raw.includes('dd-place-order')),
    );
    const agent = server.requests.find((r) => isTraces(r.path) && r.raw.includes('dd-place-order'))!;
    expect(agent.method).toBe('PUT');
    expect(agent.headers['dd-api-key']).toBeUndefined();
    expect(agent.raw.includes(Buffer.from('checkout'))).toBe(true);

    const line = JSON.parse(lines.find((l) => l.includes('inside the span'))!) as Record<string, string>;
    expect(line['dd.span_id']).toMatch(/^\d+$/);
    expect(line['dd.trace_id']).toMatch(/^\d+$/);
    // The Agent got the same span and trace ids the log line names (msgpack uint64 fields).
    expect(agent.raw.includes(uint64(line['dd.span_id']!))).toBe(true);
    expect(agent.raw.includes(uint64(line['dd.trace_id']!))).toBe(true);
  });

  it("leaves dd-trace's own calls to the Agent untraced, so no send is exported by the next one", async () => {
    const obs = getSightline()!;
    const isTraces = (p: string) => p === '/v0.4/traces' || p === '/v0.5/traces';
    for (const name of ['dd-second', 'dd-third']) {
      obs.trace(name, () => undefined);
      await obs.forceFlush();
      await server!.waitFor(() => server!.requests.some((r) => isTraces(r.path) && r.raw.includes(name)));
    }
    const sent = server!.requests.filter((r) => isTraces(r.path));
    expect(sent.filter((r) => r.raw.includes('url.full'))).toEqual([]);
  });

  it('sends array attributes as the Agent writes OTLP ones (JSON text), which dd-trace drops', async () => {
    const obs = getSightline()!;
    obs.trace('dd-arrays', { attributes: { 'order.skus': ['A-1', 'B-2'] } }, (span) => {
      span.setAttribute('order.quantities', [2, 1]);
      span.setAttributes({ 'order.flags': [true, false], 'order.note': 'gift' });
    });
    await obs.forceFlush();
    const isTraces = (p: string) => p === '/v0.4/traces' || p === '/v0.5/traces';
    await server!.waitFor(() =>
      server!.requests.some((r) => isTraces(r.path) && r.raw.includes('dd-arrays')),
    );
    const sent = server!.requests.find((r) => isTraces(r.path) && r.raw.includes('dd-arrays'))!;
    const span = decodeTraces(sent.raw)
      .flat()
      .find((s) => s.name === 'dd-arrays')!;
    expect(span.meta).toMatchObject({
      'order.skus': '["A-1","B-2"]',
      'order.quantities': '[2,1]',
      'order.flags': '[true,false]',
      'order.note': 'gift',
    });
  });

  it('sends a trace that opened a WebSocket with fetch, whose handshake has no end of its own', async () => {
    const obs = getSightline()!;
    const feed = createServer();
    feed.on('upgrade', (req, socket) => {
      const accept = createHash('sha1')
        .update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
        .digest('base64');
      socket.end(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
      );
    });
    const url = await listen(feed);
    await obs.trace(
      'dd-websocket',
      () =>
        new Promise<void>((resolve) => {
          const ws = new WebSocket(`${url.replace('http', 'ws')}/feed`);
          ws.onopen = () => resolve();
          ws.onerror = () => resolve();
        }),
    );
    await obs.forceFlush();
    // dd-trace sends a trace once every span in it has ended.
    await server!.waitFor(() =>
      server!.requests.some((r) => r.path.endsWith('/traces') && r.raw.includes('dd-websocket')),
    );
    await close(feed);
  });

  it('fails with SL_ERR_CONFIG_MISSING_DEPENDENCY when dd-trace is not installed', () => {
    const nowhere = join(mkdtempSync(join(tmpdir(), 'sl-no-ddtrace-')), 'index.js');
    let error: unknown;
    try {
      loadDdTrace(nowhere);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SightlineConfigError);
    expect((error as SightlineConfigError).code).toBe('SL_ERR_CONFIG_MISSING_DEPENDENCY');
    expect((error as Error).message).toContain('npm install dd-trace');
  });

  it("loads dd-trace from beside the entry script when sightline's own directory is not on this machine, as in a webpack bundle run away from its build", () => {
    // webpack writes the path sightline had at build time for import.meta.url into the bundle.
    const build = join(mkdtempSync(join(tmpdir(), 'sl-gone-build-')), 'build');
    const built = pathToFileURL(join(build, 'node_modules/sightline/dist/datadog.js')).href;
    const entry = process.argv[1] as string;
    // The bundle, beside the app's node_modules.
    process.argv[1] = fileURLToPath(import.meta.url);
    try {
      expect(typeof loadDdTrace(built).TracerProvider).toBe('function');
    } finally {
      process.argv[1] = entry;
    }
  });

  it.each([
    ['', undefined],
    // As --stack-trace-limit=0 sets it, or a service that wants no stacks in its errors.
    [', Error.stackTraceLimit set to 0', 0],
  ])(
    "loads dd-trace from beside the bundle itself when a launcher elsewhere started it, as Lambda's runtime does%s",
    (_, stackTraceLimit) => {
      const build = join(mkdtempSync(join(tmpdir(), 'sl-gone-build-')), 'build');
      const built = pathToFileURL(join(build, 'node_modules/sightline/dist/datadog.js')).href;
      const entry = process.argv[1] as string;
      const limit = Error.stackTraceLimit;
      // Lambda runs /var/runtime/index.mjs, which imports the handler's bundle from /var/task.
      process.argv[1] = join(mkdtempSync(join(tmpdir(), 'sl-runtime-')), 'index.mjs');
      if (stackTraceLimit !== undefined) Error.stackTraceLimit = stackTraceLimit;
      try {
        expect(typeof loadDdTrace(built).TracerProvider).toBe('function');
      } finally {
        process.argv[1] = entry;
        Error.stackTraceLimit = limit;
      }
    },
  );

  it("gives the OpenTelemetry API dd-trace's provider until shutdown(), then none", async () => {
    // Act
    const during = trace.getTracer('app').startSpan('api-span');
    during.end();
    await getSightline()!.shutdown({ timeoutMs: 2000 });
    const after = trace.getTracer('app').startSpan('after-shutdown');
    after.end();

    // Assess: a later init() can register its own, as after any other shutdown.
    expect(isSpanContextValid(during.spanContext())).toBe(true);
    expect(isSpanContextValid(after.spanContext())).toBe(false);
  });
});
