/**
 * A collector behind a private CA, or one that asks for a client certificate, reached through the
 * OTEL_EXPORTER_OTLP_[<SIGNAL>_]CERTIFICATE, _CLIENT_CERTIFICATE and _CLIENT_KEY variables.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { otlp } from '../../../adapters/otlp/index.js';
import { configError, startWith } from '../harness.js';
import { type OtlpCollector, startCollector } from './intake-server.js';
import { startWithOtlp, stopSightline } from './helpers.js';

// A self-signed certificate for 127.0.0.1, made for these tests only; it serves as its own CA.
const CERT = fileURLToPath(new URL('../../fixtures/tls/intake-cert.pem', import.meta.url));
const KEY = fileURLToPath(new URL('../../fixtures/tls/intake-key.pem', import.meta.url));
const served = { cert: readFileSync(CERT), key: readFileSync(KEY) };

let collector: OtlpCollector | undefined;
afterEach(async () => {
  await stopSightline();
  await collector?.close();
  collector = undefined;
});

describe('otlp() over TLS', () => {
  it('trusts the private CA named by OTEL_EXPORTER_OTLP_CERTIFICATE', async () => {
    collector = await startCollector(0, served);
    const { obs } = startWithOtlp(collector, {
      signals: ['traces'],
      env: { OTEL_EXPORTER_OTLP_CERTIFICATE: CERT },
    });
    obs.trace('checkout', () => {});
    await obs.forceFlush({ timeoutMs: 2000 });
    expect(collector.accepted('traces')).toHaveLength(1);
    expect(obs.stats().otlp?.traces).toMatchObject({ produced: 1, delivered: 1 });
  });

  it('presents the client certificate of the per-signal variables to a collector that requires one', async () => {
    collector = await startCollector(0, {
      ...served,
      ca: served.cert,
      requestCert: true,
      rejectUnauthorized: true,
    });
    const { obs } = startWithOtlp(collector, {
      signals: ['traces', 'logs'],
      env: {
        OTEL_EXPORTER_OTLP_CERTIFICATE: CERT,
        OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE: CERT,
        OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY: KEY,
      },
      channel: { retry: { maxElapsedMs: 200 } },
    });
    obs.trace('checkout', () => obs.log.info('sent without a client certificate'));
    await obs.forceFlush({ timeoutMs: 2000 });
    expect(collector.accepted('traces')).toHaveLength(1);
    // The traces variables are the traces channel's alone: the collector refuses the logs.
    expect(collector.accepted('logs')).toEqual([]);
    expect(obs.stats().otlp?.logs).toMatchObject({ produced: 1, delivered: 0 });
  });

  it('fails init(), not the factory, on a file that is missing, not PEM, or a client certificate without its key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sl-otlp-tls-'));
    const notPem = join(dir, 'ca.txt');
    writeFileSync(notPem, 'not a certificate');
    const cases: [Record<string, string>, string][] = [
      [{ OTEL_EXPORTER_OTLP_CERTIFICATE: join(dir, 'missing.pem') }, 'OTEL_EXPORTER_OTLP_CERTIFICATE'],
      [{ OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE: notPem }, 'OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE'],
      [{ OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: CERT }, 'OTEL_EXPORTER_OTLP_CLIENT_KEY'],
      [
        { OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: CERT, OTEL_EXPORTER_OTLP_CLIENT_KEY: notPem },
        'OTEL_EXPORTER_OTLP_CLIENT_KEY',
      ],
    ];
    for (const [env, variable] of cases) {
      const adapter = otlp({ url: 'https://127.0.0.1:4318', env });
      const error = configError(() => startWith(adapter));
      expect(error).toMatchObject({ code: 'SL_ERR_CONFIG_INVALID_ENV', option: variable });
      expect(error.message).not.toContain('not a certificate');
    }
  });
});
