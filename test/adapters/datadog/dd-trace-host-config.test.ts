import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { agentOfFile, ddTraceOptions, keptOfBurst, start } from './helpers.js';

// dd-trace initialises once per process: this file starts it on a host whose Datadog
// configuration (application_monitoring.yaml, read by dd-trace itself, at the path its tests may
// give) caps the traces kept at 10 a second and baggage at 2 entries.
const dir = mkdtempSync(join(tmpdir(), 'sightline-dd-host-'));
const file = join(dir, 'application_monitoring.yaml');
writeFileSync(
  file,
  'apm_configuration_default:\n  DD_TRACE_RATE_LIMIT: 10\n  DD_TRACE_BAGGAGE_MAX_ITEMS: 2\n',
);
vi.stubEnv('DD_TEST_LOCAL_CONFIG_PATH', file);
vi.stubEnv('DD_TEST_FLEET_CONFIG_PATH', join(dir, 'none.yaml'));
const startAgent = agentOfFile();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("traces: 'dd-trace' with sampling 0.5 on a host whose Datadog configuration sets a rate limit", () => {
  it("keeps the host's limit of traces a second and its count of baggage entries", async () => {
    const agent = await startAgent();
    const { obs } = start(agent, ddTraceOptions(agent), { sampling: 0.5 });
    const kept = await keptOfBurst(agent, obs, 'dd-host-limit', 1000);
    const tracer = (await import('dd-trace')).default as unknown as {
      _tracer: { _config: { baggageMaxItems: number } };
    };

    // sightline lifted dd-trace's cap for its ratio, and gave W3C Baggage's 180 entries, over
    // the host's settings, as it does where no variable sets them: about 500 kept.
    expect(kept).toBeLessThanOrEqual(20);
    expect(tracer._tracer._config.baggageMaxItems).toBe(2);
  });
});
