/**
 * The terminal view while the demo runs. On a TTY it redraws in place (cursor home, erase each
 * line; no dependency): time and progress, load, per-route rate / p95 / error sparklines, the
 * faults and each anomaly as it is flagged. Elsewhere it prints plain lines: a status line every
 * few seconds, and one line per fault switch and per anomaly.
 */
import type { Alert, Recorder } from './recorder.js';
import { activeFaults, type FaultSpec, type Scenario, type ServiceName } from './scenario.js';
import { clock, ERRORS, formatValue, kindLabel, metricLabel, P95, RATE, sparkline } from './format.js';

interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

const ROUTES: readonly [ServiceName, string][] = [
  ['checkout-api', 'POST /checkout/:sku'],
  ['checkout-api', 'GET /products'],
  ['checkout-api', 'GET /orders/:id'],
  ['inventory-api', 'GET /v1/items/:sku'],
  ['inventory-api', 'GET /v1/items'],
];

export class LiveView {
  private readonly tty: boolean;
  private readonly color: boolean;
  private timer: NodeJS.Timeout | undefined;
  private lastStatus = -Infinity;
  private readonly announced = new Set<string>();
  private phase = '';

  constructor(
    private readonly out: Output,
    private readonly scenario: Scenario,
    private readonly recorder: Recorder,
  ) {
    this.tty = out.isTTY === true;
    this.color = this.tty && process.env.NO_COLOR === undefined;
  }

  start(): void {
    if (this.tty) this.out.write('\x1b[?25l\x1b[2J');
    this.timer = setInterval(() => this.tick(), this.tty ? 250 : 500);
    this.tick();
  }

  /** Called for each anomaly as it arrives. */
  anomaly(alert: Alert): void {
    if (!this.tty) this.line(`${clock(alert.t)}  ANOMALY ${describe(alert)}`);
  }

  /** Draws the last frame and gives the terminal back. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.tick();
    if (this.tty) this.out.write('\x1b[?25h\n');
  }

  message(text: string): void {
    this.phase = text;
    if (!this.tty) this.line(text);
  }

  private tick(): void {
    const t = this.recorder.elapsed();
    for (const f of this.scenario.faults) {
      if (t >= f.startS && !this.announced.has(`${f.id}+`)) {
        this.announced.add(`${f.id}+`);
        if (!this.tty) this.line(`${clock(f.startS)}  fault on: ${f.title}`);
      }
      if (t >= f.endS && !this.announced.has(`${f.id}-`)) {
        this.announced.add(`${f.id}-`);
        if (!this.tty) this.line(`${clock(f.endS)}  fault off: ${f.id}, recovering`);
      }
    }
    if (this.tty) this.draw(t);
    else if (t - this.lastStatus >= 5 && t >= 0) {
      this.lastStatus = t;
      this.line(this.status(t));
    }
  }

  private line(text: string): void {
    this.out.write(`${text}\n`);
  }

  private loadRate(): number {
    let sum = 0;
    for (const [service, route] of ROUTES)
      if (service === 'checkout-api') {
        const v = this.recorder.latest(service, RATE, route);
        if (Number.isFinite(v)) sum += v;
      }
    return sum;
  }

  private status(t: number): string {
    const routes = ROUTES.filter(([s]) => s === 'checkout-api').map(([service, route]) => {
      const r = this.recorder.latest(service, RATE, route);
      const p = this.recorder.latest(service, P95, route);
      const e = this.recorder.latest(service, ERRORS, route);
      return `${route} ${formatValue(RATE, r)}, p95 ${formatValue(P95, p)}, errors ${formatValue(ERRORS, e)}`;
    });
    return `${clock(t)}  ${this.loadRate().toFixed(0)} req/s | ${routes.join(' | ')}`;
  }

  private paint(code: string, text: string): string {
    return this.color ? `\x1b[${code}m${text}\x1b[0m` : text;
  }

  private draw(t: number): void {
    const width = Math.max(80, this.out.columns ?? 120);
    const s = this.scenario;
    const lines: string[] = [];
    const dim = (x: string) => this.paint('2', x);
    const bold = (x: string) => this.paint('1', x);
    const progress = Math.min(1, Math.max(0, t / s.durationS));
    const barWidth = Math.min(50, width - 40);
    const filled = Math.round(progress * barWidth);
    lines.push(
      `${bold('sightline demo')} ${dim(`· scenario ${s.name} · metric interval ${s.intervalMs} ms · warm-up ${s.warmup} cycles`)}`,
    );
    lines.push(
      `${clock(t)} / ${clock(s.durationS)}  ${this.paint('36', '█'.repeat(filled))}${dim('░'.repeat(barWidth - filled))} ${Math.round(progress * 100)} %`,
    );
    const warm = t < (s.warmup * s.intervalMs) / 1000;
    const active = [
      ...activeFaults(s, 'checkout-api', t),
      ...activeFaults(s, 'inventory-api', t),
      ...drops(s, t),
    ];
    lines.push(
      `load ${bold(`${this.loadRate().toFixed(0)} req/s`)}   ${warm ? this.paint('33', 'detector learning the baseline') : 'detector watching'} ${dim(`(${this.recorder.series.size} series)`)}   ${this.phase}`,
    );
    lines.push(
      active.length > 0
        ? this.paint('33;1', `fault injected: ${active.map((f) => f.title).join('; ')}`)
        : dim(nextFault(s, t)),
    );
    lines.push('');
    // The sparklines get what the three values leave of the row, so an 80-column terminal shows
    // every value instead of cutting off the p95 latency and error rate.
    const w = Math.max(3, Math.min(22, Math.floor((width - 69) / 3)));
    lines.push(
      dim(
        `${'service'.padEnd(14)}${'route'.padEnd(20)}${'req/s'.padEnd(w + 12)}${'p95 latency'.padEnd(w + 12)}errors`,
      ),
    );
    for (const [service, route] of ROUTES) {
      const cell = (metric: string, floor?: number) => {
        const values = this.recorder.tail(service, metric, route, w);
        const alerting = this.recorder.alerts.some(
          (a) => a.service === service && a.route === route && a.event.metric === metric && t - a.t < 5,
        );
        const text = `${formatValue(metric, values[values.length - 1] ?? Number.NaN).padStart(10)} ${sparkline(values, w, floor)}`;
        return alerting ? this.paint('31;1', text) : text;
      };
      lines.push(`${service.padEnd(14)}${route.padEnd(20)}${cell(RATE, 0)} ${cell(P95)} ${cell(ERRORS, 0)}`);
    }
    lines.push('');
    const alerts = this.recorder.alerts;
    lines.push(bold(`anomalies flagged (${alerts.length})`));
    for (const a of alerts.slice(-8)) lines.push(`  ${this.paint('31', '▲')} ${clock(a.t)}  ${describe(a)}`);
    if (alerts.length === 0) lines.push(dim('  none yet'));
    const frame = lines.map((l) => `${truncate(l, width)}\x1b[K`).join('\n');
    this.out.write(`\x1b[H${frame}\n\x1b[J`);
  }
}

function drops(s: Scenario, t: number): FaultSpec[] {
  return s.faults.filter((f) => f.id === 'traffic-drop' && t >= f.startS && t < f.endS);
}

function nextFault(s: Scenario, t: number): string {
  const next = s.faults.find((f) => f.startS > t);
  return next ? `next fault at ${clock(next.startS)}: ${next.title}` : 'all faults injected; recovering';
}

/** One line for an anomaly: where, what, observed vs expected, kind, severity. */
export function describe(a: Alert): string {
  const e = a.event;
  return `${a.service} ${a.route} ${metricLabel(e.metric)}: ${formatValue(e.metric, e.observed)} vs expected ${formatValue(e.metric, e.expected)} (band ${formatValue(e.metric, e.band.lower)}–${formatValue(e.metric, e.band.upper)}), ${kindLabel(e.kind)}, severity ${Math.round(e.severity)}`;
}

/** Cuts a line with ANSI codes to `width` visible characters. */
function truncate(line: string, width: number): string {
  let visible = 0;
  let out = '';
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '\x1b') {
      const end = line.indexOf('m', i);
      if (end > 0) {
        out += line.slice(i, end + 1);
        i = end;
        continue;
      }
    }
    if (visible >= width) continue;
    out += line[i];
    visible++;
  }
  return out;
}
