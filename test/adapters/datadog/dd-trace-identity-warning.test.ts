import { afterEach, describe, expect, it, vi } from 'vitest';
import { agentOfFile, ddTraceOptions, start } from './helpers.js';

// dd-trace initialises once per process: this file starts it with a service of its own in ddTrace.
const startAgent = agentOfFile();
afterEach(() => {
  vi.restoreAllMocks();
});

describe("traces: 'dd-trace' with a service in ddTrace", () => {
  it('names the service its signals are sent under when DD_SERVICE differs from it', async () => {
    const agent = await startAgent();
    const written: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const options = ddTraceOptions(agent);
    start(
      agent,
      {
        ...options,
        ddTrace: { ...options.ddTrace, service: 'payments' },
        processEnv: { DD_SERVICE: 'billing' },
      },
      { diagnostics: 'warn' },
    );
    // dd-trace's spans, and so the metrics, logs and events, are under payments, not checkout.
    const warning = written.find((line) => line.includes('DD_SERVICE='));
    expect(warning).toContain('"payments"');
    expect(warning).not.toContain('"checkout"');
  });
});
