import { describe, expect, it } from 'vitest';
import { SightlineConfigError } from '../../../src/diag/errors.js';
import { isLoopback, resolveEndpoint } from '../../../src/export/endpoint.js';

describe('isLoopback', () => {
  it.each([
    'localhost',
    'LOCALHOST',
    'localhost.',
    '127.0.0.1',
    '127.1.2.3',
    '::1',
    '[::1]',
    '[::ffff:7f00:1]',
    '::ffff:127.0.0.1',
  ])('%s is loopback', (host) => expect(isLoopback(host)).toBe(true));

  it.each([
    '10.0.0.1',
    '128.0.0.1',
    '0.0.0.0',
    '::',
    '[::2]',
    'collector',
    'localhost.example.com',
    '127.0.0.1.nip.io',
  ])('%s is not loopback', (host) => expect(isLoopback(host)).toBe(false));
});

describe('resolveEndpoint', () => {
  it('returns a URL for https with credentials', () => {
    const url = resolveEndpoint('url', 'https://api.datadoghq.eu/api/v2/series', { credentials: true });
    expect(url.href).toBe('https://api.datadoghq.eu/api/v2/series');
  });

  it.each(['http://localhost:4318/v1/traces', 'http://127.0.0.1:8126/', 'http://[::1]:4318/'])(
    'allows credentials over plain http to loopback %s',
    (url) => expect(resolveEndpoint('url', url, { credentials: true }).protocol).toBe('http:'),
  );

  it('allows plain http without credentials to any host', () => {
    expect(resolveEndpoint('url', 'http://collector:4318', { credentials: false }).hostname).toBe(
      'collector',
    );
  });

  it('refuses credentials over plain http to a remote host, naming the option but not the secret', () => {
    const attempt = () =>
      resolveEndpoint('otlp.url', 'http://collector.internal:4318/v1/logs?api_key=SECRET', {
        credentials: true,
      });
    expect(attempt).toThrow(SightlineConfigError);
    expect(attempt).toThrow(
      expect.objectContaining({ code: 'SL_ERR_CONFIG_INSECURE_ENDPOINT', option: 'otlp.url' }),
    );
    expect(attempt).toThrow(/otlp\.url.*collector\.internal:4318\/v1\/logs.*https/);
    expect(attempt).not.toThrow(/SECRET/);
  });

  it('treats user info in the URL as credentials', () => {
    expect(() => resolveEndpoint('url', 'http://user:SECRET@collector/', { credentials: false })).toThrow(
      expect.objectContaining({ code: 'SL_ERR_CONFIG_INSECURE_ENDPOINT' }),
    );
  });

  it.each([
    'not a url',
    'collector:4318?token=SECRET',
    '//host/path',
    'https://user:SECRET@[bad/x',
    // Passwords holding '/', '?' or '#' (base64 tokens do) make the URL invalid.
    'https://tenant:q8/SECRETz9+Kw==@otlp.example.com',
    'https://user:SECRET/x@collector.internal',
    'https://user:SECRET?x@collector.internal',
    'user:SECRET@collector.internal',
  ])('rejects the malformed URL %j without echoing secrets', (url) => {
    const attempt = () => resolveEndpoint('elastic.url', url, { credentials: true });
    expect(attempt).toThrow(
      expect.objectContaining({ code: 'SL_ERR_CONFIG_INVALID_URL', option: 'elastic.url' }),
    );
    expect(attempt).not.toThrow(/SECRET/);
  });

  it.each(['ftp://host/x', 'file:///etc/passwd', 'javascript:alert(1)'])(
    'rejects the scheme of %s',
    (url) => {
      expect(() => resolveEndpoint('url', url, { credentials: false })).toThrow(
        expect.objectContaining({ code: 'SL_ERR_CONFIG_INVALID_URL' }),
      );
    },
  );
});
