/**
 * A service with no version set anywhere, traced by dd-trace: dd-trace gives its spans the version
 * of the app's package.json where it is given none, and sightline's metrics and log lines must
 * carry what its spans carry, as unified service tagging ties them by it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { getSightline } from '../../../src/index.js';
import { agentSpans, KEY, start, userSeries } from './helpers.js';
import { IntakeServer } from './intake-server.js';

// dd-trace initialises once per process: this file holds the only test that starts it.
let server: IntakeServer | undefined;
afterAll(async () => {
  await getSightline()?.shutdown({ timeoutMs: 2000 });
  await server?.close();
});

describe("traces: 'dd-trace' with no version", () => {
  it('sends metrics, log lines and spans under the same version', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs, lines } = start(
      server,
      {
        events: false,
        traces: 'dd-trace',
        endpoints: { traces: server.url(''), metrics: server.url('/api/v2/series') },
        ddTrace: { flushInterval: 50 },
      },
      { version: undefined },
    );
    obs.metrics.counter('orders').add(1);
    obs.trace('dd-versioned', () => obs.log.info('inside the span'));
    await obs.forceFlush();
    const span = (await agentSpans(server, 'dd-versioned')).find((s) => s.name === 'dd-versioned')!;
    const spanVersion = span.meta.version;
    const seriesVersion = userSeries(server)[0]?.tags.find((t: string) => t.startsWith('version:'));
    const lineVersion = JSON.parse(lines.find((l) => l.includes('inside the span'))!)['dd.version'];
    expect({ series: seriesVersion, line: lineVersion }).toEqual({
      series: spanVersion === undefined ? undefined : `version:${spanVersion}`,
      line: spanVersion,
    });
  });
});
