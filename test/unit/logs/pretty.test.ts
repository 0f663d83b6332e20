import { describe, expect, it } from 'vitest';
import { datadogLogFormat } from '../../../adapters/datadog/log-format.js';
import { elasticLogFormat } from '../../../adapters/elastic/log-format.js';
import { mergeLogKeys } from '../../../src/logs/format.js';
import { formatPretty } from '../../../src/logs/pretty.js';

const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

describe('the console’s pretty lines (on a terminal)', () => {
  it('shows time, level, message, fields and a short trace id, and hides the service fields', () => {
    const line = JSON.stringify({
      level: 'warn',
      time: Date.UTC(2026, 0, 5, 10, 20, 30, 456),
      'service.name': 'checkout',
      'deployment.environment.name': 'dev',
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      span_id: '00f067aa0ba902b7',
      trace_flags: '01',
      orderId: 'o-1',
      cart: { items: 2 },
      msg: 'slow checkout',
    });
    expect(strip(formatPretty(`${line}\n`))).toBe(
      '10:20:30.456 WARN  slow checkout orderId=o-1 cart={"items":2} trace=4bf92f35\n',
    );
    expect(formatPretty(line)).toContain('\x1b[33m');
  });

  it("reads the level, time and message under the keys of an adapter's format (Datadog, Elastic)", () => {
    const datadog = mergeLogKeys([
      datadogLogFormat({ service: 'checkout', env: 'dev', version: '1.2.3' }, true),
    ]);
    const ddLine = JSON.stringify({
      status: 'error',
      timestamp: Date.UTC(2026, 0, 5, 10, 20, 30, 456),
      'service.name': 'checkout',
      'dd.service': 'checkout',
      message: 'payment failed',
    });
    expect(strip(formatPretty(ddLine, datadog))).toBe(
      '10:20:30.456 ERROR payment failed dd.service=checkout\n',
    );
    expect(formatPretty(ddLine, datadog)).toContain('\x1b[31m');

    const ecs = mergeLogKeys([elasticLogFormat({ environment: 'dev', dataset: 'checkout' })]);
    const ecsLine = JSON.stringify({
      'log.level': 'warn',
      '@timestamp': '2026-01-05T10:20:30.456Z',
      'service.name': 'checkout',
      message: 'slow checkout',
    });
    expect(strip(formatPretty(ecsLine, ecs))).toBe('10:20:30.456 WARN  slow checkout\n');
  });

  it('passes a line it cannot read through unchanged', () => {
    expect(formatPretty('not json\n')).toBe('not json\n');
  });
});
