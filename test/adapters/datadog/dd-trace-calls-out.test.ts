import { createServer, type IncomingHttpHeaders, request } from 'node:http';
import { context, propagation } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { loadDdTrace } from '../../../adapters/datadog/dd-trace.js';
import { close, listen } from '../../integration/helpers/http-client.js';
import { agentOfFile, ddTraceOptions, start } from './helpers.js';

// dd-trace initialises once per process: this file starts it for calls out of a dd-trace service.
const startAgent = agentOfFile();

describe("traces: 'dd-trace', calls out", () => {
  it("sends the Datadog headers a call was made with as they are, without the span's beside them, by fetch and node:http", async () => {
    const agent = await startAgent();
    const { obs } = start(agent, ddTraceOptions(agent), { outbound: true });
    const got: IncomingHttpHeaders[] = [];
    const downstream = createServer((req, res) => {
      got.push(req.headers);
      res.end('ok');
    });
    const url = await listen(downstream);
    // A call passing on another trace, named in Datadog's headers as a relay or a job runner sets them.
    const named = {
      'x-datadog-trace-id': '987654321',
      'x-datadog-parent-id': '123456',
      'x-datadog-sampling-priority': '1',
      baggage: 'tenant=acme',
    };
    await obs.trace('relay', async () => {
      await (await fetch(`${url}/by-fetch`, { headers: named })).text();
      await new Promise<void>((resolve, reject) => {
        request(`${url}/by-http`, { headers: named }, (res) => res.resume().on('end', resolve))
          .on('error', reject)
          .end();
      });
    });
    await close(downstream);

    const tracer = loadDdTrace();
    expect(got).toHaveLength(2);
    for (const headers of got) {
      expect(headers).toMatchObject(named);
      // One trace only: a traceparent of the span's would name another.
      expect(headers.traceparent).toBeUndefined();
      const read = tracer.extract('http_headers', headers as Record<string, unknown>)!;
      expect([read.toTraceId(), read.toSpanId()]).toEqual(['987654321', '123456']);
    }
  });
  it("counts the context's baggage entries past W3C Baggage's 180 left out of a call, with dd-trace's span or a traceparent of the call's own", async () => {
    const agent = await startAgent();
    const { obs } = start(agent, ddTraceOptions(agent), { outbound: true });
    const sent: string[] = [];
    const downstream = createServer((req, res) => {
      sent.push(String(req.headers.baggage));
      res.end('ok');
    });
    const url = await listen(downstream);
    const baggage = propagation.createBaggage(
      Object.fromEntries(Array.from({ length: 182 }, (_, i) => [`k${i}`, { value: '1' }])),
    );
    const own = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };
    await obs.trace('relay', () =>
      context.with(propagation.setBaggage(context.active(), baggage), async () => {
        await (await fetch(`${url}/with-span`)).text();
        await (await fetch(`${url}/with-own-trace`, { headers: own })).text();
      }),
    );
    await close(downstream);

    expect(sent.map((header) => header.split(',').length)).toEqual([180, 180]);
    expect(obs.drops().baggage_limit).toBe(4);
  });
});
