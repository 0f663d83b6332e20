/**
 * A service that calls itself (a handler fetching its own port): the request it receives runs in
 * the trace its headers name, and in none when they name none, whoever called it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind } from '@opentelemetry/api';
import express from 'express';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { init, type Sightline } from '../../src/index.js';
import { expressMiddleware } from '../../src/integrations/express/index.js';
import { sightlineFastify } from '../../src/integrations/fastify/index.js';
import { memoryExporter } from '../../src/testing/index.js';
import { waitForSpans } from './helpers/telemetry.js';

let obs: Sightline | undefined;
let stop: (() => Promise<void>) | undefined;

afterEach(async () => {
  await stop?.();
  stop = undefined;
  await obs?.shutdown();
  obs = undefined;
});

function start(outbound: boolean) {
  const memory = memoryExporter();
  obs = init({
    service: 'self-call',
    exporters: [memory],
    outbound,
    anomaly: false,
    logStream: { write() {} },
  });
  return { obs, memory };
}

type Probe = { log: { info(o: object, m: string): void } };

async function expressApp(): Promise<string> {
  const app = express();
  app.use(expressMiddleware({ ignore: ['/health'] }));
  let base = '';
  app.get('/health', (req, res) => {
    (req as unknown as Probe).log.info({ probe: 'health' }, 'health checked');
    res.end('ok');
  });
  app.get('/inner', (req, res) => {
    (req as unknown as Probe).log.info({ probe: 'inner' }, 'inner');
    res.end('ok');
  });
  app.get('/work', async (req, res) => {
    (req as unknown as Probe).log.info({ probe: 'work' }, 'work');
    await (await fetch(`${base}/health`)).text();
    await (await fetch(`${base}/inner`)).text();
    res.end('done');
  });
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  stop = () => new Promise((resolve) => server.close(() => resolve()));
  return base;
}

async function fastifyApp(): Promise<string> {
  const app = Fastify({ loggerInstance: obs!.log });
  await app.register(sightlineFastify, { ignore: ['/health'] });
  let base = '';
  app.get('/health', async (req) => {
    req.log.info({ probe: 'health' }, 'health checked');
    return 'ok';
  });
  app.get('/inner', async (req) => {
    req.log.info({ probe: 'inner' }, 'inner');
    return 'ok';
  });
  app.get('/work', async (req) => {
    req.log.info({ probe: 'work' }, 'work');
    await (await fetch(`${base}/health`)).text();
    await (await fetch(`${base}/inner`)).text();
    return 'done';
  });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
  stop = () => app.close();
  return base;
}

describe.each([
  ['Express', expressApp],
  ['Fastify', fastifyApp],
])('%s calling itself', (_name, app) => {
  it.each([
    [false, 'names no trace: the ignored request runs in none, the other one is a root'],
    [true, 'names the client span: the ignored request passes through its trace, the other one is its child'],
  ])('outbound %s, the call %s', async (outbound) => {
    const { obs, memory } = start(outbound);
    const base = await app();
    await (await fetch(`${base}/work`)).text();
    await obs.forceFlush();
    const probes = Object.fromEntries(
      memory
        .logs()
        .filter((l) => l.probe)
        .map((l) => [l.probe, l]),
    );
    expect(probes.work?.trace_id).toMatch(/^[0-9a-f]{32}$/);
    const spans = memory.spans();
    const client = spans.filter((s) => s.kind === SpanKind.CLIENT);
    if (!outbound) {
      // No header went out: the ignored request names no trace and so runs in none.
      expect(probes.health?.trace_id).toBeUndefined();
    } else {
      // Its headers name the client span: it passes through that trace.
      const toHealth = client.find((s) => String(s.attributes['url.full']).endsWith('/health'));
      expect(probes.health?.trace_id).toBe(toHealth?.spanContext().traceId);
    }
    // A request not ignored is a child of the call that sent it, or a root when no header went out.
    const [inner] = await waitForSpans(
      obs,
      memory,
      (s) => s.kind === SpanKind.SERVER && s.name.endsWith('/inner'),
    );
    const toInner = client.find((s) => String(s.attributes['url.full']).endsWith('/inner'));
    if (outbound) expect(inner?.parentSpanContext?.spanId).toBe(toInner?.spanContext().spanId);
    else expect(inner?.parentSpanContext).toBeUndefined();
    expect(probes.inner?.trace_id).toBe(inner?.spanContext().traceId);
  });
});
