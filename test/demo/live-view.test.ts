import { describe, expect, it } from 'vitest';
import { ERRORS, P95, RATE } from '../../examples/demo/format.js';
import { LiveView } from '../../examples/demo/live-view.js';
import { Recorder } from '../../examples/demo/recorder.js';
import { SCENARIOS, type Scenario } from '../../examples/demo/scenario.js';

const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

/** The last frame the view drew on a terminal `columns` wide, as the lines a person sees. */
function lastFrame(columns: number): string[] {
  const recorder = new Recorder(Date.now());
  const bands = [RATE, P95, ERRORS].map((metric, i) => ({
    metric,
    method: 'GET',
    route: '/products',
    observed: [24, 0.0123, 0.5][i] ?? 0,
    expected: 0,
    lower: 0,
    upper: 0,
    score: 0,
  }));
  for (let k = 0; k < 30; k++) recorder.addBands('checkout-api', Date.now(), bands);
  const writes: string[] = [];
  const view = new LiveView(
    { isTTY: true, columns, write: (text: string) => writes.push(text) },
    SCENARIOS.quick as Scenario,
    recorder,
  );
  view.start();
  view.stop();
  const frame = writes.filter((w) => w.startsWith('\x1b[H')).at(-1) ?? '';
  return frame.replace(ANSI, '').split('\n');
}

describe('the demo live view on a terminal', () => {
  it.each([80, 120, 200])(
    '%i columns wide shows each route with its request rate, p95 latency and error rate',
    (columns) => {
      const lines = lastFrame(columns);
      const row = lines.find((l) => l.includes('GET /products')) ?? '';
      expect(row).toContain('24.0 req/s');
      expect(row).toContain('12.3 ms');
      expect(row).toContain('50 %');
      expect(lines.find((l) => l.startsWith('service'))).toMatch(/req\/s.*p95 latency.*errors/);
      for (const line of lines) expect(line.length).toBeLessThanOrEqual(columns);
    },
  );
});
