import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { datadog } from '../../../adapters/datadog/index.js';
import { getSightline } from '../../../src/index.js';
import { KEY, start } from './helpers.js';
import { IntakeServer } from './intake-server.js';

afterEach(async () => {
  await getSightline()?.shutdown({ timeoutMs: 1000 });
});

function captureStderr(): { text: () => string; restore: () => void } {
  const chunks: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  return { text: () => chunks.join(''), restore: () => (process.stderr.write = write) };
}

describe('the API key stays secret', () => {
  it('appears only in the DD-API-KEY header: never in diagnostics, logs, stats, bodies or URLs', async () => {
    const server = await IntakeServer.start({ apiKey: 'the-right-key' }); // so every request is refused: 403
    const stderr = captureStderr();
    let lines: string[] = [];
    try {
      const started = start(
        server,
        {
          logs: 'http',
          channel: { flushIntervalMs: 20, queueSize: 50, retry: { initialDelayMs: 5, maxElapsedMs: 200 } },
        },
        { diagnostics: 'debug' },
      );
      lines = started.lines;
      const { obs } = started;
      server.script(
        '/api/v2/series',
        { status: 500 },
        { drop: true },
        { status: 429, headers: { 'x-ratelimit-reset': '0' } },
      );
      obs.metrics.counter('orders.placed').add(1);
      for (let i = 0; i < 200; i++) obs.log.error({ i }, 'failing'); // overflows the queue: queue_full diagnostics
      await obs.forceFlush({ timeoutMs: 2000 });
      await obs.shutdown({ timeoutMs: 1000 });
      expect(JSON.stringify(obs.stats())).not.toContain(KEY);
      expect(inspect(obs, { depth: 6 })).not.toContain(KEY);
    } finally {
      stderr.restore();
      await server.close();
    }
    expect(stderr.text()).toContain('sightline'); // diagnostics were on and did report the trouble
    expect(stderr.text()).toContain('403');
    expect(stderr.text()).not.toContain(KEY);
    expect(lines.join('\n')).not.toContain(KEY);
    expect(server.requests.length).toBeGreaterThan(0);
    for (const r of server.requests) {
      expect(r.headers['dd-api-key']).toBe(KEY);
      expect(r.text).not.toContain(KEY);
      expect(r.query.toString()).not.toContain(KEY);
    }
  });

  it('is never in a configuration error or in the adapter object', () => {
    const attempts: (() => unknown)[] = [
      () => datadog({ apiKey: `${KEY} with a space`, processEnv: {} }),
      () => datadog({ processEnv: { DD_API_KEY: `${KEY}\nX-Injected: 1` } }),
      () => datadog({ apiKey: KEY, site: 'nowhere.example', processEnv: {} }),
      () =>
        datadog({ apiKey: KEY, processEnv: {}, endpoints: { logs: 'http://intake.example/api/v2/logs' } }),
      () =>
        datadog({ apiKey: KEY, processEnv: {}, endpoints: { events: `http://intake.example/?k=${KEY}` } }),
      () => datadog({ apiKey: KEY, processEnv: {}, logs: 'syslog' as never }),
    ];
    for (const attempt of attempts) {
      let message = '';
      try {
        attempt();
      } catch (error) {
        message = `${String(error)} ${inspect(error)}`;
      }
      expect(message).not.toBe('');
      expect(message).not.toContain(KEY);
    }
    const adapter = datadog({ apiKey: KEY, processEnv: {} });
    expect(inspect(adapter, { depth: 10, showHidden: true })).not.toContain(KEY);
    expect(JSON.stringify(adapter)).not.toContain(KEY);
  });
});
