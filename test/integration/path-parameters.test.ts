import { createServer, type Server } from 'node:http';
import { SpanKind } from '@opentelemetry/api';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../src/index.js';
import { expressMiddleware } from '../../src/integrations/express/index.js';
import { memoryExporter } from '../../src/testing/index.js';
import { close, listen } from './helpers/http-client.js';
import { waitForSpans } from './helpers/telemetry.js';

const SECRET = 'sentinel-secret-value-123';
const memory = memoryExporter();
const lines: string[] = [];
const obs = init({
  service: 'path-parameters-test',
  exporters: [memory],
  anomaly: false,
  handleSignals: false,
  logStream: { write: (l: string) => lines.push(l) },
});

let server: Server;
let base: string;

beforeAll(async () => {
  const app = express();
  app.use(expressMiddleware());
  app.use((_req, res) => {
    res.status(200).send('ok');
  });
  server = createServer(app);
  base = await listen(server);
});

afterAll(async () => {
  await close(server);
  await obs.shutdown();
});

// A servlet container's session id, which it puts in the path when cookies are off.
describe('path parameters', () => {
  it('hides a ;jsessionid= path parameter in URLs written, outgoing and incoming spans and access lines', async () => {
    const url = `${base}/cart;jsessionid=${SECRET}?step=2`;
    expect((await fetch(url)).status).toBe(200);
    obs.log.warn({ url }, `GET ${url} failed`);
    const [client] = await waitForSpans(obs, memory, (s) => s.kind === SpanKind.CLIENT);
    const [incoming] = await waitForSpans(obs, memory, (s) => s.kind === SpanKind.SERVER);

    const written = lines.join('') + JSON.stringify([client!.attributes, incoming!.attributes]);
    expect(written).not.toContain(SECRET);
    expect(client!.attributes['url.full']).toBe(`${base}/cart;jsessionid=[Redacted]`);
    expect(incoming!.attributes['url.path']).toBe('/cart;jsessionid=[Redacted]');
    const logged = lines.map((l) => JSON.parse(l));
    const clean = `${base}/cart;jsessionid=[Redacted]?step=2`;
    expect(logged.find((l) => l.msg === `GET ${clean} failed`)?.url).toBe(clean);
    expect(logged.find((l) => l.route !== undefined)?.path).toBe('/cart;jsessionid=[Redacted]');
  });

  it('hides a URL given in the path, its query encoded or after a &, in the access line as in the span', async () => {
    for (const path of [
      `/r/https%3A%2F%2Fb.example%2Fcb%3Ftoken%3D${SECRET}`,
      `/cb&token=${SECRET}`,
      `/r/https://user:${SECRET}@b.example/cb`,
    ]) {
      lines.length = 0;
      memory.reset();
      expect((await fetch(`${base}${path}`)).status).toBe(200);
      const [incoming] = await waitForSpans(obs, memory, (s) => s.kind === SpanKind.SERVER);
      const access = lines.map((l) => JSON.parse(l)).find((l) => l.route !== undefined);
      expect(access?.path, path).toBe(incoming!.attributes['url.path']);
      expect(lines.join(''), path).not.toContain(SECRET);
    }
  });
});
