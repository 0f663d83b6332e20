/**
 * `npm run demo`: two example services under a daily-like load, three faults injected one after
 * another, sightline's anomaly detector watching, a live terminal view, a verdict and an HTML
 * report. Exits 0 when every injected fault was caught, 1 otherwise.
 *
 *   npm run demo -- [--scenario default|quick] [--duration <s>] [--report <file>] [--no-report]
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { FaultGate, timeline } from './fault-gate.js';
import { LiveView } from './live-view.js';
import { LoadDriver } from './load.js';
import { Recorder } from './recorder.js';
import { type SlowTrace, writeReport } from './report.js';
import { activeFaults, SCENARIOS, type Scenario, type ServiceName, withDuration } from './scenario.js';
import { ServiceProcess } from './services.js';
import { printVerdict } from './verdict-text.js';
import { judge } from './verdict.js';

const HELP = `Usage: npm run demo -- [options]

  --scenario <name>   ${Object.keys(SCENARIOS).join(' | ')} (default: default)
  --duration <s>      stretch or shrink the scenario's timeline to this many seconds (20..3600)
  --report <file>     where to write the HTML report (default: sightline-report.html)
  --no-report         do not write the report
  -h, --help          this text
`;

function usageError(message: string): never {
  process.stderr.write(`${message}\n\n${HELP}`);
  process.exit(2);
}

function readArgs() {
  try {
    return parseArgs({
      options: {
        scenario: { type: 'string', default: 'default' },
        duration: { type: 'string' },
        report: { type: 'string', default: 'sightline-report.html' },
        'no-report': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (err) {
    // A mistyped option gets the usage, as an unknown scenario does, not parseArgs' stack trace.
    return usageError((err as Error).message);
  }
}

function parse(): { scenario: Scenario; report: string | undefined } {
  const values = readArgs();
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  let scenario = SCENARIOS[values.scenario];
  if (scenario === undefined) usageError(`unknown scenario ${JSON.stringify(values.scenario)}`);
  if (values.duration !== undefined) {
    const d = Number(values.duration);
    if (!Number.isFinite(d) || d < 20 || d > 3600) {
      process.stderr.write(`--duration must be a number of seconds in 20..3600; got ${values.duration}\n`);
      process.exit(2);
    }
    scenario = withDuration(scenario, d);
  }
  return { scenario, report: values['no-report'] ? undefined : resolve(values.report) };
}

const { scenario: planned, report } = parse();
// The faults' times as they happen: each waits, past its planned time, for the detector.
const scenario = timeline(planned);
const startedAt = Date.now();
let recorder = new Recorder(startedAt);
let view: LiveView | undefined;
const env = { DEMO_INTERVAL_MS: String(scenario.intervalMs), DEMO_WARMUP: String(scenario.warmup) };
const handlers = {
  onBands: (service: ServiceName, time: number, bands: Parameters<Recorder['addBands']>[2]) =>
    recorder.addBands(service, time, bands),
  onAnomaly: (service: ServiceName, event: Parameters<Recorder['addAnomaly']>[1]) => {
    const alert = recorder.addAnomaly(service, event);
    if (alert) view?.anomaly(alert);
  },
};

process.stdout.write(`starting the inventory and checkout services (scenario ${scenario.name})...\n`);
const inventory = await ServiceProcess.start('inventory-api', env, handlers);
const checkout = await ServiceProcess.start(
  'checkout-api',
  { ...env, INVENTORY_URL: inventory.url },
  handlers,
);
const services = { 'checkout-api': checkout, 'inventory-api': inventory } as const;

const stopAll = async () => {
  await Promise.all([checkout.stop(), inventory.stop()]);
};
process.once('SIGINT', () => {
  view?.stop();
  void stopAll().then(() => process.exit(130));
});

// The clock starts with the load; everything before is start-up.
recorder = new Recorder(Date.now());
view = new LiveView(process.stdout, scenario, recorder);
view.start();
const load = new LoadDriver(scenario, checkout.url, recorder.startMs);
// Each fault waits for its series at most the warm-up's length over the run.
const gate = new FaultGate(scenario, recorder, scenario.warmup);

// One slow request of the latency regression, looked up shortly after it ends (the services keep
// recent spans only).
let slow: SlowTrace | undefined;
const latency = scenario.faults.find((f) => f.id === 'latency');
const findSlowTrace = async () => {
  if (latency === undefined || slow !== undefined) return;
  const route = 'POST /checkout/:sku';
  const found = await checkout.slowest(route, recorder.startMs + latency.startS * 1000);
  if (found.traceId === undefined) return;
  const parts = await Promise.all([checkout.trace(found.traceId), inventory.trace(found.traceId)]);
  slow = {
    traceId: found.traceId,
    route,
    durationMs: found.durationMs,
    spans: parts.flatMap((p) => p.spans).sort((a, b) => a.startMs - b.startMs),
    logs: parts.flatMap((p) => p.logs).sort((a, b) => a.time - b.time),
  };
};
let traceAsked = false;

// Fault switching: the services get the set of faults in effect whenever it changes.
const lastSent = new Map<ServiceName, string>();
const switcher = setInterval(() => {
  const t = recorder.elapsed();
  gate.check(t);
  // Alerts from the scenario's last cycle on are the load winding down, also while a busy machine
  // still runs its last requests.
  recorder.closedAt = recorder.startMs + scenario.durationS * 1000 - scenario.intervalMs;
  if (!traceAsked && latency !== undefined && t >= Math.min(latency.endS + 3, scenario.durationS - 1)) {
    traceAsked = true;
    void findSlowTrace();
  }
  for (const name of Object.keys(services) as ServiceName[]) {
    const faults = activeFaults(scenario, name, t).map((f) => ({
      route: f.route,
      ...(f.latencyMs !== undefined ? { latencyMs: f.latencyMs } : {}),
      ...(f.errorRatio !== undefined ? { errorRatio: f.errorRatio } : {}),
    }));
    const key = JSON.stringify(faults);
    if (lastSent.get(name) !== key) {
      lastSent.set(name, key);
      services[name].setFaults(faults);
    }
  }
}, 50);

await load.done;
clearInterval(switcher);
await findSlowTrace();
view.message('load finished');
view.stop();
await stopAll();

const verdict = judge(scenario, recorder.alerts);
const wallS = (Date.now() - startedAt) / 1000;
printVerdict(process.stdout, scenario, verdict, load.routes, wallS);
if (report !== undefined) {
  writeReport(report, { scenario, startedAt, wallS, recorder, verdict, trace: slow, load: load.routes });
  process.stdout.write(`report: ${report}\n`);
}
process.exit(verdict.allCaught ? 0 : 1);
