import { describe, expect, it } from 'vitest';
import { cleanUrl } from '../../../src/integrations/outbound/client-span.js';
import {
  errorTypeOf,
  normalizeMethod,
  parseHost,
  requestPath,
} from '../../../src/integrations/shared/http-attributes.js';
import { resolveHttpServerOptions } from '../../../src/integrations/shared/options.js';

describe('HTTP attribute helpers', () => {
  it.each([
    ['GET', 'GET'],
    ['patch', 'PATCH'],
    ['PURGE', '_OTHER'],
    [undefined, 'GET'],
  ])('normalizes method %s to %s', (raw, expected) => {
    expect(normalizeMethod(raw)).toBe(expected);
  });

  it.each([
    ['example.com', 80, { address: 'example.com', port: 80 }],
    ['example.com:8443', 443, { address: 'example.com', port: 8443 }],
    ['[::1]:3000', 80, { address: '::1', port: 3000 }],
    ['[::1]', 443, { address: '::1', port: 443 }],
    ['host:notaport', 80, { address: 'host', port: 80 }],
    [undefined, 80, { port: 80 }],
  ])('parses Host %s', (host, defaultPort, expected) => {
    expect(parseHost(host, defaultPort)).toEqual(expected);
  });

  it.each([
    ['/a?b=1', '/a'],
    ['/a#frag', '/a'],
    ['/a#f?x', '/a'],
    ['/plain', '/plain'],
    ['http://api.example.com/a/b?token=s', '/a/b'],
    ['https://user:pass@api.example.com:8443/a', '/a'],
    ['http://api.example.com?x=1', '/'],
    ['*', '*'],
  ])('takes the path of %s', (url, expected) => {
    expect(requestPath(url)).toBe(expected);
  });

  it('drops credentials, query and fragment from url.full', () => {
    expect(cleanUrl('https://user:pass@api.example.com/', '/v1/x?token=s#y')).toBe(
      'https://api.example.com/v1/x',
    );
  });

  it.each([
    [Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }), 'ECONNREFUSED'],
    [new TypeError('x'), 'TypeError'],
    [Object.assign(new Error('x'), { code: 'not a code' }), 'Error'],
    ['a string', '_OTHER'],
  ])('names error %s as %s', (error, expected) => {
    expect(errorTypeOf(error)).toBe(expected);
  });
});

describe('resolveHttpServerOptions', () => {
  it('matches exact strings, RegExps (global ones too) and predicates; a throwing predicate ignores nothing', () => {
    const { isIgnored } = resolveHttpServerOptions(
      {
        ignore: [
          '/health',
          /^\/internal\//g,
          (p) => p.endsWith('.ico'),
          () => {
            throw new Error('bad predicate');
          },
        ],
      },
      'test',
    );
    expect(isIgnored?.('/health')).toBe(true);
    expect(isIgnored?.('/health/deep')).toBe(false);
    expect(isIgnored?.('/internal/a')).toBe(true);
    expect(isIgnored?.('/internal/a')).toBe(true);
    expect(isIgnored?.('/favicon.ico')).toBe(true);
    expect(isIgnored?.('/users')).toBe(false);
  });

  it('defaults to an access log for every request and nothing ignored', () => {
    expect(resolveHttpServerOptions(undefined, 'test')).toMatchObject({
      accessLog: true,
      accessLogSampleRate: 1,
      isIgnored: undefined,
    });
    expect(resolveHttpServerOptions({ accessLog: false }, 'test').accessLog).toBe(false);
  });

  it.each([[{ accessLog: true }], [{ accessLog: { sampleRate: Number.NaN } }], [{ accessLog: 'yes' }]])(
    'rejects accessLog %o',
    (options) => {
      expect(() => resolveHttpServerOptions(options as never, 'test')).toThrow(
        expect.objectContaining({ code: 'SL_ERR_CONFIG_INVALID_VALUE', option: 'test.accessLog' }),
      );
    },
  );
});
