import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { agentOfFile, ddTraceOptions, start } from './helpers.js';

// dd-trace initialises once per process: this file starts it on a host whose Datadog
// configuration (application_monitoring.yaml, at the path dd-trace's tests may give) caps baggage
// at 2 entries, in a process whose DD_TRACE_BAGGAGE_MAX_ITEMS is left empty.
const dir = mkdtempSync(join(tmpdir(), 'sightline-dd-host-empty-'));
const file = join(dir, 'application_monitoring.yaml');
writeFileSync(file, 'apm_configuration_default:\n  DD_TRACE_BAGGAGE_MAX_ITEMS: 2\n');
vi.stubEnv('DD_TEST_LOCAL_CONFIG_PATH', file);
vi.stubEnv('DD_TEST_FLEET_CONFIG_PATH', join(dir, 'none.yaml'));
vi.stubEnv('DD_TRACE_BAGGAGE_MAX_ITEMS', '');
const startAgent = agentOfFile();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("traces: 'dd-trace' on a host whose Datadog configuration sets baggage's count, DD_TRACE_BAGGAGE_MAX_ITEMS left empty", () => {
  it("keeps the host's count of baggage entries, the empty variable unset", async () => {
    const agent = await startAgent();
    start(agent, ddTraceOptions(agent));
    const tracer = (await import('dd-trace')).default as unknown as {
      _tracer: { _config: { baggageMaxItems: number } };
    };

    // dd-trace reads the empty variable as 0 over the host's local configuration, and sightline,
    // finding the host's setting, gave none of its own: no entry of a caller's baggage was kept.
    expect(tracer._tracer._config.baggageMaxItems).toBe(2);
  });
});
