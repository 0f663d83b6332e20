import type { AddressInfo } from 'node:net';
import express from 'express';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { expressErrorHandler, expressMiddleware } from '../../../src/integrations/express/index.js';
import { close, request } from '../../integration/helpers/http-client.js';
import { getSightline } from '../../../src/index.js';
import { agentOfFile, agentSpans, ddTraceOptions, start } from './helpers.js';

// dd-trace initialises once per process: this file starts it for the errors its spans record.
const startAgent = agentOfFile();

describe("traces: 'dd-trace', errors recorded on spans", () => {
  it('cuts a thrown error of megabytes and hides the secrets of URLs in it, as in OpenTelemetry mode', async () => {
    const agent = await startAgent();
    const { obs } = start(agent, ddTraceOptions(agent));
    // An upstream's HTML error page quoted whole in the message, after the URL it was asked for.
    const page = '<p>Service unavailable</p>'.repeat(80_000);
    const message = `GET https://api.example.com/v1/pay?token=s3cr3t-token failed: ${page}`;
    await expect(
      obs.trace('dd-huge-error', async () => {
        throw new Error(message);
      }),
    ).rejects.toThrow();
    await obs.forceFlush();

    const span = (await agentSpans(agent, 'dd-huge-error')).find((s) => s.name === 'dd-huge-error')!;
    const meta = span.meta as Record<string, string>;
    const sent = agent.requests.find((r) => r.raw.includes('dd-huge-error'))!;
    expect(message.length).toBeGreaterThan(2_000_000);
    expect(sent.raw.length).toBeLessThan(64 * 1024);
    expect(meta['error.message']!.length).toBeLessThanOrEqual(4096);
    expect(meta['error.stack']!.length).toBeLessThanOrEqual(4096);
    expect(meta['error.message']!.startsWith('GET https://api.example.com/v1/pay?token=')).toBe(true);
    expect(sent.raw.includes('s3cr3t-token')).toBe(false);
    expect(obs.drops().truncated_attribute).toBeGreaterThan(0);
  });

  it("cuts the error a request's handler threw, on the request's span", async () => {
    const agent = await startAgent();
    const obs = getSightline() ?? start(agent, ddTraceOptions(agent)).obs;
    const before = obs.drops().truncated_attribute ?? 0;
    const app = express();
    app.use(expressMiddleware());
    app.get('/upstream-failed', () => {
      throw new Error(`upstream answered 502: ${'<html>Bad gateway</html>'.repeat(100_000)}`);
    });
    app.use(expressErrorHandler());
    app.use((_error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(500).end();
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    expect((await request(base, '/upstream-failed')).status).toBe(500);
    await close(server);
    await obs.forceFlush();

    const span = (await agentSpans(agent, '/upstream-failed'))[0]!;
    const meta = span.meta as Record<string, string>;
    const sent = agent.requests.find((r) => r.raw.includes('/upstream-failed'))!;
    expect(sent.raw.length).toBeLessThan(64 * 1024);
    expect(meta['error.message']!.startsWith('upstream answered 502: <html>')).toBe(true);
    expect(meta['error.message']!.length).toBeLessThanOrEqual(4096);
    expect(meta['error.stack']!.length).toBeLessThanOrEqual(4096);
    expect(obs.drops().truncated_attribute).toBeGreaterThan(before);
  });

  it('counts no cut for an error recorded on a span already ended, which sends nothing more', async () => {
    const agent = await startAgent();
    const obs = getSightline() ?? start(agent, ddTraceOptions(agent)).obs;
    const span = trace.getTracer('late-errors').startSpan('dd-ended-span');
    span.end();
    const before = obs.drops().truncated_attribute ?? 0;
    const message = `late: ${'<html>Bad gateway</html>'.repeat(1_000)}`;
    span.recordException(new Error(message));
    span.setStatus({ code: SpanStatusCode.ERROR, message });
    // As OpenTelemetry mode, whose ended span takes no event and no status.
    expect(obs.drops().truncated_attribute ?? 0).toBe(before);
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
  ])(
    'throws nothing into the catch block recording %s thrown, as in OpenTelemetry mode',
    async (_, thrown) => {
      const agent = await startAgent();
      getSightline() ?? start(agent, ddTraceOptions(agent));
      const span = trace.getTracer('odd-throws').startSpan('dd-odd-throw');
      // What a catch block holds when the code it guards threw no error.
      expect(() => span.recordException(thrown as unknown as Error)).not.toThrow();
      span.end();
    },
  );
});
