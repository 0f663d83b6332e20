import { createServer } from 'node:http';
import { describe, expect, it, vi } from 'vitest';
import { close, listen } from '../../integration/helpers/http-client.js';
import { agentOfFile, ddTraceOptions, start } from './helpers.js';

// dd-trace initialises once per process, reading its styles then: this file starts it sending
// W3C's headers alone, as a service does whose services downstream read only those.
vi.stubEnv('DD_TRACE_PROPAGATION_STYLE', 'tracecontext');
const startAgent = agentOfFile();

describe("traces: 'dd-trace' with DD_TRACE_PROPAGATION_STYLE=tracecontext", () => {
  it("sends the span's traceparent with a call made with Datadog's headers, which it does not write", async () => {
    // A gateway passing on the headers its caller sent, Datadog's among them.
    const passedOn = { 'x-datadog-trace-id': '987654321', 'x-datadog-parent-id': '123456' };
    const sent: (string | string[] | undefined)[][] = [];
    const downstream = createServer((req, res) => {
      sent.push([req.headers['x-datadog-trace-id'], req.headers.traceparent]);
      res.end('ok');
    });
    const url = await listen(downstream);
    const agent = await startAgent();
    const { obs } = start(agent, ddTraceOptions(agent), { outbound: true });
    const traceId = await obs.trace('gateway', async (span) => {
      await (await fetch(`${url}/orders`, { headers: passedOn })).text();
      return span.spanContext().traceId;
    });
    await close(downstream);

    expect(sent).toHaveLength(1);
    expect(sent[0]![0]).toBe('987654321');
    // The call continues the gateway's trace for the services that read W3C's headers.
    expect(sent[0]![1]).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
  });
});
