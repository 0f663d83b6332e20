import { createServer } from 'node:http';
import { context, propagation } from '@opentelemetry/api';
import { describe, expect, it, vi } from 'vitest';
import { close, listen } from '../../integration/helpers/http-client.js';
import { agentOfFile, ddTraceOptions, start } from './helpers.js';

// dd-trace initialises once per process, reading its styles then: this file starts it sending
// Datadog's headers alone, as a service does that sends no baggage out.
vi.stubEnv('DD_TRACE_PROPAGATION_STYLE', 'datadog');
const startAgent = agentOfFile();

describe("traces: 'dd-trace' with DD_TRACE_PROPAGATION_STYLE=datadog", () => {
  it('sends no baggage with a call out, one made with a traceparent of its own included', async () => {
    // Each call's path, whether it named a Datadog trace, and its baggage.
    const calls: [string | undefined, boolean, string | string[] | undefined][] = [];
    const downstream = createServer((req, res) => {
      calls.push([req.url, req.headers['x-datadog-trace-id'] !== undefined, req.headers.baggage]);
      res.end('ok');
    });
    const url = await listen(downstream);
    const agent = await startAgent();
    const { obs } = start(agent, ddTraceOptions(agent), { outbound: true });
    const bag = propagation.createBaggage({ user: { value: 'alice' } });
    // A relay passing on another's trace names it in a traceparent of its own.
    const relayed = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await obs.trace('relay', () =>
      context.with(propagation.setBaggage(context.active(), bag), async () => {
        await (await fetch(`${url}/stock`)).text();
        await (await fetch(`${url}/relay`, { headers: { traceparent: relayed } })).text();
      }),
    );
    await close(downstream);

    expect(calls).toEqual([
      ['/stock', true, undefined],
      ['/relay', false, undefined],
    ]);
  });
});
