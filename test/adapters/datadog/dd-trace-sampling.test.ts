import { createServer, type IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import { close, listen } from '../../integration/helpers/http-client.js';
import { agentOfFile, agentSpans, ddTraceOptions, start } from './helpers.js';

// dd-trace initialises once per process: this file starts it with sightline's `sampling` set.
const startAgent = agentOfFile();

describe("traces: 'dd-trace' with sampling", () => {
  it('samples new traces at the sampling ratio, as dd-trace samples at DD_TRACE_SAMPLE_RATE', async () => {
    const agent = await startAgent();
    // A production profile keeping no new trace (a ratio a service sets to cut its Datadog bill).
    const { obs, lines } = start(agent, ddTraceOptions(agent), { outbound: true, sampling: 0 });
    const got: IncomingHttpHeaders[] = [];
    const downstream = createServer((req, res) => {
      got.push(req.headers);
      res.end('ok');
    });
    const url = await listen(downstream);
    await obs.trace('dd-sampled-out', async () => {
      obs.log.info('in the trace');
      await (await fetch(`${url}/stock`)).text();
    });
    await close(downstream);
    await obs.forceFlush();
    const root = (await agentSpans(agent, 'dd-sampled-out')).find((s) => s.name === 'dd-sampled-out')!;

    // dd-trace sends the Agent the trace with a decision to drop it (a user's, priority -1).
    expect(root.metrics._sampling_priority_v1).toBeLessThanOrEqual(0);
    // The service called and the log line are told the trace is not kept.
    expect(got[0]!['x-datadog-sampling-priority']).toBe(String(root.metrics._sampling_priority_v1));
    expect(got[0]!.traceparent).toMatch(/-00$/);
    const line = JSON.parse(lines.find((l) => l.includes('in the trace'))!) as Record<string, string>;
    expect(line.trace_flags).toBe('00');
  });
});
