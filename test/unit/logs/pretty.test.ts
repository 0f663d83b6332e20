import { describe, expect, it } from 'vitest';
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

  it('passes a line it cannot read through unchanged', () => {
    expect(formatPretty('not json\n')).toBe('not json\n');
  });
});
