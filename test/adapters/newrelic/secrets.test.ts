import { afterEach, describe, expect, it } from 'vitest';
import { FAST_CHANNEL, LICENSE_KEY, startWithNewRelic, stopSightline } from './helpers.js';
import { type NrIntake, startNrIntake } from './intake-server.js';

let intake: NrIntake | undefined;
afterEach(async () => {
  await stopSightline();
  await intake?.close();
  intake = undefined;
});

describe('newrelic never leaks the license key', () => {
  it('keeps it out of log lines, diagnostics, bodies and URLs; only the auth headers carry it', async () => {
    const stderr: string[] = [];
    const original = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => {
      stderr.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    let lines: string[] = [];
    try {
      // Every failure answer once, so every diagnostic path runs: 5xx and a dropped connection
      // (retried), 413 (split), 400 (rejected), 429, a full queue, and the region hint (the key looks EU).
      intake = await startNrIntake({ licenseKey: LICENSE_KEY });
      intake.script('metrics', { status: 500 }, { status: 0, drop: true });
      intake.script(
        'logs',
        { status: 413 },
        { status: 400 },
        { status: 429, headers: { 'retry-after': '0' } },
      );
      intake.script('traces', { status: 503 }, { status: 403 });
      const started = startWithNewRelic(
        intake,
        { logs: 'api', channel: { ...FAST_CHANNEL, queueSize: 4 } },
        { diagnostics: 'debug' },
      );
      lines = started.lines;
      const { obs } = started;
      obs.metrics.counter('orders').add(1);
      for (let i = 0; i < 10; i++) obs.log.info({ i }, 'line');
      obs.trace('work', () => obs.log.warn('inside a span'));
      await obs.forceFlush();
      await obs.shutdown();
    } finally {
      process.stderr.write = original;
    }

    const diagnostics = stderr.join('');
    expect(diagnostics).toMatch(/newrelic (metrics|logs|traces)/);
    // Diagnostics are rate-limited per key, so the first answer of each kind is what shows.
    for (const status of ['HTTP 500', 'HTTP 503', 'HTTP 400', 'requestId'])
      expect(diagnostics).toContain(status);
    expect(diagnostics).toContain('queue full');
    expect(diagnostics).toContain('EU');
    expect(diagnostics).not.toContain(LICENSE_KEY);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).not.toContain(LICENSE_KEY);

    const requests = intake!.requests;
    expect(requests.length).toBeGreaterThan(0);
    for (const r of requests) {
      expect(r.path).not.toContain(LICENSE_KEY);
      expect(r.body.toString('latin1')).not.toContain(LICENSE_KEY);
      const carriers = Object.entries(r.headers)
        .filter(([, v]) => String(v).includes(LICENSE_KEY))
        .map(([k]) => k);
      expect(carriers).toEqual(['api-key']);
    }
  });
});
