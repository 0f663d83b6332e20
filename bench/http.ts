/**
 * HTTP overhead: the bare framework vs sightline (tracing, RED metrics, one access-log line per
 * request to a discarding destination) vs OpenTelemetry auto-instrumentation (instrumentation-http
 * plus instrumentation-express / @fastify/otel) vs dd-trace, on Express and Fastify. Exporters
 * point at a loopback sink that discards; load comes from autocannon on 127.0.0.1; each server runs
 * in a child process, so CPU per request is that process's cpuUsage delta over the requests served.
 * Variants are alternated in rounds; each figure is a ratio to bare in the same round (median).
 * On Node 22, `sightline-acf` is sightline under `--experimental-async-context-frame`, the context
 * store Node 24 uses by default. `spin-10us` is the bare framework spending 10 µs of CPU per request
 * in a hook: what a known, fixed cost reads as on this machine. `sightline-10pct` is sightline
 * keeping one trace in ten (`sampling: 0.1`). `--baseline=<dir>` adds `sightline-baseline`: sightline from
 * another checkout (with its dependencies installed or linked), such as the parent commit in a git
 * worktree, so a change is measured against what it changes in the same rounds.
 *
 *   node --import tsx bench/http.ts [--duration=5] [--rounds=3] [--connections=10] [--frameworks=express,fastify]
 *     [--variants=bare,sightline,...] [--baseline=../sightline-parent] [--rate=4000] [--dist]
 *
 * `--dist` runs sightline as users run it, the built package (`dist/`, built at the start of the run in
 * this checkout and the baseline's), instead of its TypeScript sources through tsx, which wraps each
 * closure created per request in a naming call the build does not have.
 *
 * `--rate` loads every variant at that many requests/s instead of as fast as it answers, so CPU
 * per request is compared at equal load rather than each at its own saturation.
 *
 * The peers live in bench/peers (own package.json and lockfile): `npm install --prefix bench/peers`.
 */
import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { median, type Row } from './harness.js';

interface Options {
  duration: number;
  rounds: number;
  connections: number;
  frameworks: string[];
  variants: string[];
  baseline: string | undefined;
  /** Requests/s for every variant, instead of as many as each serves: CPU compared at equal load. */
  rate: number | undefined;
  /** sightline from its built package (`dist/`) rather than its sources. */
  dist: boolean;
}

interface Server {
  framework: string;
  variant: string;
  child: ChildProcess;
  port: number;
}

interface Sample {
  rps: number;
  p99: number;
  cpuUsPerReq: number;
  /** Items sightline dropped during the sample; undefined for the other variants. */
  dropped: number | undefined;
}

const here = fileURLToPath(new URL('.', import.meta.url));

function parseArgs(argv: string[]): Partial<Options> {
  const out: Partial<Options> = {};
  for (const arg of argv) {
    if (arg === '--dist') out.dist = true;
    const [key, value] = arg.replace(/^--/, '').split('=');
    if (value === undefined) continue;
    if (key === 'duration' || key === 'rounds' || key === 'connections' || key === 'rate')
      out[key] = Number(value);
    if (key === 'frameworks' || key === 'variants') out[key] = value.split(',');
    if (key === 'baseline') out.baseline = resolve(value);
  }
  return out;
}

function peersInstalled(): boolean {
  return existsSync(`${here}peers/node_modules/@opentelemetry/instrumentation-http`);
}

function startSink(): Promise<{ url: string; close(): void }> {
  const sink = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end('{}');
    });
  });
  return new Promise((resolve) =>
    sink.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${(sink.address() as AddressInfo).port}`, close: () => sink.close() }),
    ),
  );
}

/** Builds the package in the checkout at `root`, so `--dist` measures its sources as they are now. */
function build(root: string): void {
  execFileSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
}

// The flag exists from Node 22.7; Node 24 has the frame store on by default.
const ACF_FLAG = '--experimental-async-context-frame';
const acfIsOptIn = Number(process.versions.node.split('.')[0]) === 22;

/**
 * The environment a server runs in: which sightline it loads (bench/http-server.ts), and the peers'
 * settings. The benchmark's own variables stay out of the SIGHTLINE_ names: sightline warns of one
 * it does not read as misspelt.
 */
export function serverEnv(
  variant: string,
  sink: string,
  opts: Pick<Options, 'baseline' | 'dist'>,
): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NODE_ENV: 'production',
    DD_TRACE_STARTUP_LOGS: 'false',
    DD_INSTRUMENTATION_TELEMETRY_ENABLED: 'false',
    DD_REMOTE_CONFIGURATION_ENABLED: 'false',
    DD_TRACE_AGENT_URL: sink,
    DD_SERVICE: 'bench',
    ...(variant.endsWith('-baseline') && opts.baseline ? { BENCH_SIGHTLINE_ROOT: opts.baseline } : {}),
    ...(opts.dist ? { BENCH_SIGHTLINE_DIST: '1' } : {}),
  };
}

function startServer(framework: string, variant: string, sink: string, opts: Options): Promise<Server> {
  const child = fork(`${here}http-server.ts`, [framework, variant.replace(/-(acf|baseline)$/, ''), sink], {
    execArgv: variant.endsWith('-acf') ? [ACF_FLAG, '--import', 'tsx'] : ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: serverEnv(variant, sink, opts),
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${framework}/${variant} server exited with ${code}`)));
    child.on('message', (m: { port?: number }) => {
      if (m.port) resolve({ framework, variant, child, port: m.port });
    });
  });
}

function cpu(server: Server): Promise<{ us: number; dropped: number | undefined }> {
  return new Promise((resolve) => {
    const onMessage = (m: { cpu?: NodeJS.CpuUsage; dropped?: number }) => {
      if (!m.cpu) return;
      server.child.off('message', onMessage);
      resolve({ us: m.cpu.user + m.cpu.system, dropped: m.dropped });
    };
    server.child.on('message', onMessage);
    server.child.send('cpu');
  });
}

async function load(server: Server, duration: number, connections: number, rate?: number): Promise<Sample> {
  const before = await cpu(server);
  const result = await autocannon({
    url: `http://127.0.0.1:${server.port}/users/42`,
    connections,
    duration,
    ...(rate ? { overallRate: rate } : {}),
  });
  const after = await cpu(server);
  const served = result.requests.total || 1;
  return {
    rps: result.requests.average,
    p99: result.latency.p99,
    cpuUsPerReq: (after.us - before.us) / served,
    dropped: after.dropped === undefined ? undefined : after.dropped - (before.dropped ?? 0),
  };
}

/** Runs the comparison and returns one row per framework and variant (ratios to bare, medians over rounds). */
export async function runHttpBench(options: Partial<Options> = {}): Promise<Row[]> {
  const opts: Options = {
    duration: 5,
    rounds: 3,
    connections: 10,
    frameworks: ['express', 'fastify'],
    baseline: undefined,
    rate: undefined,
    dist: false,
    variants: [
      'bare',
      'spin-10us',
      'sightline',
      ...(acfIsOptIn ? ['sightline-acf'] : []),
      ...(options.baseline ? ['sightline-baseline'] : []),
      'sightline-logs',
      'sightline-10pct',
      ...(peersInstalled() ? ['otel'] : []),
      'ddtrace',
    ],
    ...options,
  };
  if (opts.dist) for (const root of [resolve(here, '..'), opts.baseline]) if (root) build(root);
  const sink = await startSink();
  const rows: Row[] = [];
  try {
    for (const framework of opts.frameworks) {
      const servers: Server[] = [];
      for (const variant of opts.variants)
        servers.push(await startServer(framework, variant, sink.url, opts));
      // Warm-up, the same for every variant: JIT (the instrumented variants have more to compile),
      // connection pools, lazily loaded modules, the first exports.
      for (const s of servers) await load(s, 5, opts.connections);
      const ratios = new Map<string, { rps: number[]; p99: number[]; cpu: number[]; raw: Sample[] }>(
        servers.map((s) => [s.variant, { rps: [], p99: [], cpu: [], raw: [] }]),
      );
      for (let round = 0; round < opts.rounds; round++) {
        const order = round % 2 === 0 ? servers : [...servers].reverse();
        const samples = new Map<string, Sample>();
        for (const s of order)
          samples.set(s.variant, await load(s, opts.duration, opts.connections, opts.rate));
        const bare = samples.get('bare')!;
        for (const [variant, sample] of samples) {
          const r = ratios.get(variant)!;
          r.rps.push(sample.rps / bare.rps);
          r.p99.push(sample.p99 / Math.max(bare.p99, 1));
          r.cpu.push(sample.cpuUsPerReq / bare.cpuUsPerReq);
          r.raw.push(sample);
        }
      }
      for (const s of servers) {
        const r = ratios.get(s.variant)!;
        rows.push({
          framework,
          variant: s.variant,
          'req/s': Math.round(median(r.raw.map((x) => x.rps))),
          'req/s ratio': Number(median(r.rps).toFixed(3)),
          'p99 ms': median(r.raw.map((x) => x.p99)),
          'p99 ratio': Number(median(r.p99).toFixed(2)),
          'CPU µs/req': Number(median(r.raw.map((x) => x.cpuUsPerReq)).toFixed(1)),
          'CPU ratio': Number(median(r.cpu).toFixed(2)),
          // Dropping telemetry under load would make sightline look cheap: this should read 0.
          'sightline drops':
            r.raw[0]?.dropped === undefined ? '-' : r.raw.reduce((n, x) => n + (x.dropped ?? 0), 0),
        });
        s.child.removeAllListeners('exit');
        s.child.kill();
      }
    }
  } finally {
    sink.close();
  }
  return rows;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const options = parseArgs(process.argv.slice(2));
  const pace = options.rate ? `, every variant at ${options.rate} req/s` : '';
  console.log(
    `HTTP overhead on Node ${process.version} (ratios to the bare framework in the same round${pace})`,
  );
  console.table(await runHttpBench(options));
}
