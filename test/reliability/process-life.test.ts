/**
 * The process's life and death: SIGTERM under load flushes what is queued and exits within the
 * deadline, a crash still gets the final log lines out, a stdout nobody reads neither fills the heap
 * nor keeps `process.exit()` from returning, one whose reader pauses loses no line once it reads
 * again, flushes waiting on a stalled one together pile no listeners on its writer, one whose reader
 * has gone holds no flush to its deadline, `shutdown()` returns at its deadline even when the
 * backend hangs, a process that ends on its own without it still sends what it recorded, and so do
 * node:cluster workers whose primary disconnects them at SIGTERM.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { otlp } from '../../adapters/otlp/index.js';
import { getSightline, init } from '../../src/index.js';
import { API_KEY as ES_API_KEY } from '../adapters/elastic/helpers.js';
import { EsIntake } from '../adapters/elastic/intake-server.js';
import { startCollector } from '../adapters/otlp/intake-server.js';
import { SIGNALS, unbalanced } from './accounting.js';
import { type FaultyBackend, startFaultyBackend } from './faulty-backend.js';
import { readPaced, spawnOnFifo } from './fifo-stdout.js';
import { load } from './load.js';
import { startService } from './service-process.js';

const backends: FaultyBackend[] = [];
afterEach(async () => {
  await getSightline()?.shutdown({ timeoutMs: 200 });
  for (const b of backends.splice(0)) await b.close();
});

async function backend(options?: Parameters<typeof startFaultyBackend>[0]): Promise<FaultyBackend> {
  const b = await startFaultyBackend(options);
  backends.push(b);
  return b;
}

const logLines = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/**
 * Runs a child script whose stdout is left unread (it fills and stays full) or closed (its writes
 * fail), and resolves with its exit code and the JSON line it reported on stderr.
 */
async function runWithStdout(
  name: string,
  stdout: 'unread' | 'closed',
): Promise<{ code: number | null; report: Record<string, unknown> }> {
  const script = fileURLToPath(new URL(name, import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  if (stdout === 'unread') child.stdout.pause();
  else child.stdout.destroy();
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, report: JSON.parse(stderr.split('\n').find((l) => l.startsWith('{')) ?? '{}') };
}

describe.each(['express', 'fastify'] as const)('%s: SIGTERM in the middle of load', (framework) => {
  it('flushes what was queued within the deadline, then exits by the signal', async () => {
    const collector = await backend();
    const service = await startService({
      framework,
      variant: 'sightline',
      backendUrl: collector.url,
      // A long flush interval keeps items queued until the signal; the deadline is short.
      sightline: {
        init: { handleSignals: true, shutdownTimeout: 2000 },
        channel: { flushIntervalMs: 60_000 },
      },
    });
    const loaded = load(service.port, framework, 1500, 8).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 700));
    const before = logLines(service.stdout());
    const sentAt = performance.now();
    service.child.kill('SIGTERM');
    const exit = await service.exited;
    const took = performance.now() - sentAt;
    await loaded;

    expect(exit.signal).toBe('SIGTERM');
    expect(took).toBeLessThan(2000 + 1500);
    // Every line written before the signal reached the backend, and so did the spans behind it.
    const accessLines = before.filter((l) => typeof l.route === 'string').length;
    expect(before.length).toBeGreaterThan(0);
    expect(collector.received.logs).toBeGreaterThanOrEqual(before.length);
    expect(collector.received.traces).toBeGreaterThanOrEqual(accessLines * (framework === 'express' ? 2 : 1));
    expect(collector.received.metrics).toBeGreaterThan(0);
    // Only sightline's own diagnostics (recordings refused after shutdown), no stack trace.
    for (const line of service.stderr().split('\n').filter(Boolean)) expect(line).toMatch(/^sightline \w+ /);
  }, 30_000);
});

describe('a crash without an uncaughtException handler', () => {
  it.each([true, false])(
    'still writes the final log lines to stdout (handleSignals: %s)',
    async (handleSignals) => {
      const collector = await backend();
      const service = await startService({
        framework: 'express',
        variant: 'sightline',
        backendUrl: collector.url,
        sightline: { init: { handleSignals } },
      });
      service.child.send({ cmd: 'crash' });
      const exit = await service.exited;
      expect(exit.code).toBe(1);
      expect(service.stderr()).toContain('unexpected failure in the app');
      const lines = logLines(service.stdout());
      expect(lines.filter((l) => l.msg === 'last words')).toHaveLength(200);
      expect(lines.at(-1)?.msg).toBe('failing now');
    },
    30_000,
  );
});

describe('a stdout nobody reads', () => {
  it('holds at most 16 MiB of lines, counts the rest as dropped, and lets process.exit() return', async () => {
    // Prepare: the child's stdout is a pipe this process never reads, so it fills and stays full.
    const script = fileURLToPath(new URL('./stalled-stdout.ts', import.meta.url));
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pause();
    let stderr = '';
    const report = new Promise<{ heapGrowth: number; drops: Record<string, number> }>((resolve) =>
      child.stderr.on('data', (chunk) => {
        stderr += chunk;
        const line = stderr.split('\n').find((l) => l.startsWith('{'));
        if (line && stderr.endsWith('\n')) resolve(JSON.parse(line));
      }),
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));

    // Act: the child writes its lines, reports, and calls process.exit(0).
    const { heapGrowth, drops } = await report;
    const reportedAt = performance.now();
    const outcome = await Promise.race([
      exited,
      new Promise<string>((resolve) => setTimeout(() => resolve('still running'), 5000)),
    ]);
    const tookToExit = performance.now() - reportedAt;
    child.kill('SIGKILL');

    // Assess: 150 MB of lines were written. The exit flush gave up on the full pipe after a second,
    // and pino's own exit hook, behind it, did not wait a second time.
    expect(heapGrowth).toBeLessThan(48 * 1024 * 1024);
    expect(drops.log_stdout_full).toBeGreaterThan(100_000);
    expect(outcome).toBe(0);
    expect(tookToExit).toBeLessThan(1800);
  }, 60_000);
});

describe('a stdout pipe whose reader pauses, then reads faster than lines come', () => {
  it('catches up once its reader is back: no line dropped', async () => {
    // Prepare: the child's stdout is a pipe (a FIFO, as a container runtime gives). Its reader takes
    // nothing for a second, then 8 MB/s, twice what is written.
    const { reader, ended } = spawnOnFifo(fileURLToPath(new URL('./paced-logger.ts', import.meta.url)));
    let lines = 0;
    setTimeout(() => reader.resume(), 1000);
    readPaced(reader, 8000, (chunk) => {
      for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
    });

    // Act: the child logs at 4 MB/s for eight seconds, shuts down and exits.
    const { code, stderr } = await ended;

    // Assess: the backlog of the pause was written as soon as the pipe had room, so the lines never
    // filled the 16 MiB buffer: every one reached the reader.
    const report = JSON.parse(stderr.split('\n').find((l) => l.startsWith('{')) ?? '{}');
    expect(code).toBe(0);
    expect(report.drops).toEqual({});
    expect(lines).toBe(report.written);
  }, 30_000);
});

/**
 * Runs a `node:cluster` script whose workers share the primary's stdout, a pipe (a FIFO) read more
 * slowly than they write to it, so it is often nearly full; resolves with its exit code, the lines
 * read, and those lines parsed, the ones that are no JSON counted as broken.
 */
async function runOnSharedPipe(name: string, args: readonly string[]) {
  const { reader, ended } = spawnOnFifo(fileURLToPath(new URL(name, import.meta.url)), args);
  let text = '';
  readPaced(reader, 4000, (chunk) => {
    text += chunk.toString('utf8');
  });
  reader.resume();
  const { code } = await ended;
  const lines = text.split('\n').filter((l) => l !== '');
  const records: Record<string, unknown>[] = [];
  let broken = 0;
  for (const l of lines) {
    try {
      records.push(JSON.parse(l) as Record<string, unknown>);
    } catch {
      broken++;
    }
  }
  return { code, lines, records, broken };
}

describe('node:cluster workers writing to the one stdout pipe they share', () => {
  it('keep each line whole: no worker writes into a line another has half written', async () => {
    // Prepare and act: four workers each log 1000 lines of about 2 kB, shut down and exit.
    const { code, records, broken } = await runOnSharedPipe('./cluster-shared-stdout.ts', [
      '4',
      '1000',
      '1900',
    ]);

    // Assess: every line reached the reader whole, as JSON, 1000 of each worker.
    expect(code).toBe(0);
    expect(broken).toBe(0);
    const perWorker = new Map<unknown, number>();
    for (const { worker } of records) perWorker.set(worker, (perWorker.get(worker) ?? 0) + 1);
    expect([...perWorker.values()]).toEqual([1000, 1000, 1000, 1000]);
  }, 30_000);
});

describe('node:cluster workers writing CloudWatch EMF to the one stdout pipe they share', () => {
  it("write documents over the pipe's atomic size as several whole ones, each metric counted once", async () => {
    // Prepare and act: four workers in emf mode, each adding 1 to 60 counters then collecting
    // (a document of about 6 kB), 150 times, then shutting down and exiting.
    const { code, lines, records, broken } = await runOnSharedPipe('./cluster-shared-emf.ts', [
      '4',
      '150',
      '60',
    ]);

    // Assess: every line is a whole JSON document that fits in one atomic write, and each
    // worker's counters add up to 150 each.
    expect(code).toBe(0);
    expect({ broken, longest: Math.max(...lines.map((l) => Buffer.byteLength(l) + 1)) }).toEqual({
      broken: 0,
      longest: expect.toSatisfy((n: number) => n <= 4096),
    });
    const sums = new Map<string, number>();
    for (const doc of records) {
      if (typeof doc.worker !== 'string') continue;
      for (const [key, value] of Object.entries(doc))
        if (key.startsWith('checkout.orders.'))
          sums.set(`${doc.worker}/${key}`, (sums.get(`${doc.worker}/${key}`) ?? 0) + (value as number));
    }
    expect(sums.size).toBe(4 * 60);
    expect(new Set(sums.values())).toEqual(new Set([150]));
  }, 60_000);
});

describe('a crash or process.exit() right after a burst of lines, stdout a pipe', () => {
  const script = fileURLToPath(new URL('./crash-burst.ts', import.meta.url));
  const report = (stderr: string) => JSON.parse(stderr.split('\n').find((l) => l.startsWith('{')) ?? '{}');

  it.each(['throw', 'exit'])(
    'writes every line of the burst on its way out (%s), read at 8 MB/s',
    async (how) => {
      // Prepare: the child's stdout is a pipe (a FIFO) whose reader takes 8 MB/s from the start.
      const { reader, ended } = spawnOnFifo(script, [how]);
      let stdout = '';
      readPaced(reader, 8000, (chunk) => {
        stdout += chunk;
      });
      reader.resume();

      // Act: the child logs 3 MB in one go, then throws or calls process.exit(3) before stdout took it.
      const { code, stderr } = await ended;

      // Assess: the exit flush kept writing while the reader made room: each of the 3,000 lines
      // arrived once and whole, in order.
      expect(code).toBe(how === 'throw' ? 1 : 3);
      const numbers = logLines(stdout).map((l) => l.i);
      expect(numbers).toHaveLength(3000);
      expect(numbers).toEqual(numbers.map((_, i) => i));
      expect(report(stderr).drops).toEqual({});
    },
    30_000,
  );

  it('after fatal, given up on a pipe whose reader paused, writes each line once when it reads again', async () => {
    // Prepare: the child's stdout is a pipe (a FIFO) whose reader takes nothing until 1.5 s after
    // the child starts its burst. Its lines are of 6 KB: the writer's chunks of two take three of
    // the pipe's 16 pages, so the write that fills it is cut part way.
    const { reader, child, ended } = spawnOnFifo(script, ['fatal', '1000', '6000']);
    let stdout = '';
    readPaced(reader, 8000, (chunk) => {
      stdout += chunk;
    });
    child.stderr?.once('data', () => setTimeout(() => reader.resume(), 1500));

    // Act: the child logs 6 MB, then a fatal line, whose synchronous flush gives up on the full pipe
    // part way through a chunk; it lives on, logs a line and shuts down once its reader is back.
    const { code } = await ended;

    // Assess: the background writes went on where the flush stopped: no line cut, none twice.
    expect(code).toBe(0);
    const whole = (line: string) => {
      try {
        return typeof JSON.parse(line) === 'object';
      } catch {
        return false;
      }
    };
    const cut = stdout.split('\n').filter((l) => l !== '' && !whole(l));
    expect(cut.map((l) => `${l.slice(0, 40)}...${l.slice(-40)}`)).toEqual([]);
    const lines = logLines(stdout);
    const numbers = lines.flatMap((l) => (typeof l.i === 'number' ? [l.i] : []));
    expect(numbers).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(lines.slice(-2).map((l) => l.msg)).toEqual(['fatal', 'after']);
  }, 30_000);

  it.each(['exit', 'shutdown'])(
    'gives up about a second after its reader stopped, counting the lines it lost (%s)',
    async (how) => {
      // Prepare: the child's stdout is a pipe nobody reads until the child has exited.
      const { reader, child, ended } = spawnOnFifo(script, [how]);
      let whole = 0;
      child.on('exit', () => {
        reader.on('data', (chunk: Buffer) => {
          for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) whole++;
        });
        reader.resume();
      });

      // Act: the child logs 3 MB, of which the pipe takes 64 KiB, and calls process.exit(3), at
      // once or once shutdown() has returned at its deadline with the lines still waiting.
      const { code, stderr } = await ended;

      // Assess: process.exit() returned once the pipe had stayed full for a second; every line is
      // either in the pipe, whole, or counted as lost (the one cut part way with them), sightline
      // shut down or not.
      const { drops, exitMs } = report(stderr);
      expect(code).toBe(3);
      expect(exitMs).toBeGreaterThanOrEqual(1000);
      expect(exitMs).toBeLessThan(2000);
      expect(drops.log_stdout_full).toBeGreaterThan(2000);
      expect(whole + drops.log_stdout_full).toBe(3000);
    },
    30_000,
  );

  it.each(['exit', 'throw', 'child'])(
    'gives up on a pipe left in blocking mode, as its parent opened it, with no console (%s)',
    async (how) => {
      // Prepare: the child runs as a service built from its package does, by Node alone, with no
      // console adapter (its telemetry goes to backends; here none): nothing of it opens
      // process.stdout, so its stdout stays in the blocking mode the pipe was opened in, as a
      // container runtime's FIFO is. The pipe is read only after the child has exited; a child
      // still there after 10 s is stopped.
      const { reader, child, ended } = spawnOnFifo(script, [how], {
        built: true,
        env: { ...process.env, SIGHTLINE_EXPORTERS: 'none' },
      });
      const hung = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.on('exit', () => {
        clearTimeout(hung);
        reader.resume();
      });

      // Act: the child logs 3 MB, of which the pipe takes 64 KiB, then calls process.exit(3) or
      // throws; or calls process.exit(3) having run a command with its stdio before the burst, whose
      // start put the pipe back in blocking mode, as Node starts any command given its stdout.
      const { code, stderr } = await ended;

      // Assess: it exited about a second after the pipe stopped taking its lines, counting those it
      // lost, instead of waiting in its exit flush for as long as the reader stalled.
      const { drops, exitMs } = report(stderr);
      expect(code).toBe(how === 'throw' ? 1 : 3);
      // Far below the 10 s the reader stalls for, and loose, as a loaded machine slows the child.
      expect(exitMs).toBeLessThan(5000);
      expect(drops.log_stdout_full).toBeGreaterThan(2000);
    },
    30_000,
  );

  it('after fatal, gives up on a pipe a command run with its stdio left in blocking mode', async () => {
    // Prepare: the child runs as a built service with no console; its stdout is a pipe read only
    // once the fatal line's flush has returned, or after 10 s.
    const { reader, child, ended } = spawnOnFifo(script, ['fatal-child'], {
      built: true,
      env: { ...process.env, SIGHTLINE_EXPORTERS: 'none' },
    });
    let fatalMs: number | undefined;
    child.stderr?.on('data', (chunk: Buffer) => {
      const reported = /"fatalMs":([\d.]+)/.exec(String(chunk));
      if (reported) {
        fatalMs = Number(reported[1]);
        reader.resume();
      }
    });
    const stalled = setTimeout(() => reader.resume(), 10_000);

    // Act: the child runs a command with its stdio, whose start puts the pipe back in blocking
    // mode, logs 3 MB, of which the pipe takes 64 KiB, then a fatal line, and lives on.
    const { code } = await ended;
    clearTimeout(stalled);

    // Assess: the fatal line's flush gave up about a second after the pipe stopped taking lines,
    // instead of waiting for as long as the reader stalled.
    expect(code).toBe(0);
    // Far below the 10 s the reader stalls for, and loose, as a loaded machine slows the child.
    expect(fatalMs).toBeLessThan(5000);
  }, 30_000);
});

describe('flushes waiting together on a stdout nobody reads', () => {
  it('wait until their deadline without piling listeners on the writer', async () => {
    // Prepare, act: twelve forceFlush() calls wait at once on a stdout nobody reads.
    const { code, report } = await runWithStdout('./flushes-stalled-stdout.ts', 'unread');

    // Assess: they returned at their deadline, and Node saw no listener leak on the writer.
    expect(code).toBe(0);
    expect(report.flushMs).toBeLessThan(2000);
    expect(report.warnings).toEqual([]);
  }, 30_000);
});

describe('process.exit() right after shutdown()', () => {
  /** Runs the script with its stdout a pipe read as fast as it comes, until that pipe ends. */
  async function runReadingStdout(name: string): Promise<{ code: number | null; stdout: string }> {
    const script = fileURLToPath(new URL(name, import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
    });
    const [code] = await Promise.all([
      new Promise<number | null>((resolve) => child.on('exit', resolve)),
      new Promise((resolve) => child.stdout.on('end', resolve)),
    ]);
    return { code, stdout };
  }

  it('finds every log line and EMF document written to stdout', async () => {
    // Prepare, act: the child, its stdout a pipe read as fast as it comes, writes 12 MB to stdout,
    // awaits shutdown() and exits.
    const { code, stdout } = await runReadingStdout('./exit-after-shutdown.ts');

    // Assess: shutdown() returned only once stdout had taken everything sightline held for it.
    expect(code).toBe(0);
    const lines = logLines(stdout);
    expect(lines.filter((l) => l.msg === 'line')).toHaveLength(6000);
    expect(lines.some((l) => l['jobs.done'] === 1)).toBe(true);
  }, 60_000);

  it('in a worker thread, writes the lines logged after it', async () => {
    // Prepare, act: a worker thread of the child, its stdout a pipe read as fast as it comes,
    // awaits shutdown(), logs 100 lines and calls process.exit(3), which ends the thread while
    // the writer still holds its lines.
    const { code, stdout } = await runReadingStdout('./thread-after-shutdown.ts');

    // Assess: they were flushed as the thread exited, as they are in the main thread.
    expect(code).toBe(3);
    const numbers = logLines(stdout).map((l) => l.i);
    expect(numbers).toEqual(Array.from({ length: 100 }, (_, i) => i));
  }, 30_000);
});

describe('a stdout whose reader has gone', () => {
  it('lets forceFlush() and shutdown() return at once instead of at their deadline', async () => {
    // Prepare, act: the child logs, flushes, logs again and awaits shutdown() while each write to
    // its stdout fails (EPIPE).
    const { code, report } = await runWithStdout('./exit-after-stdout-closed.ts', 'closed');

    // Assess: nothing can be written, so there is nothing to wait for; a wait would leave the
    // top-level await unsettled once only its timers were left (exit code 13).
    expect(code).toBe(0);
    expect(report.flushMs).toBeLessThan(1000);
    expect(report.shutdownMs).toBeLessThan(1000);
    // No line went anywhere, and each is counted so: the 200 held as it failed, and those after.
    expect(report.drops).toEqual({ log_stdout_closed: 400 });
  }, 30_000);
});

describe('shutdown() with a hung backend', () => {
  it('returns at its deadline and leaves nothing queued: every item delivered or counted dropped', async () => {
    const collector = await backend({ hangMs: 30_000 });
    await collector.setMode('hang');
    const obs = init({
      service: 'hung',
      exporters: [otlp({ url: collector.url, protocol: 'http/json', env: {} })],
      logStream: { write: () => {} },
      anomaly: false,
      outbound: false,
      metricInterval: 3_600_000,
    });
    const orders = obs.metrics.counter('orders.placed');
    for (let i = 0; i < 3000; i++) {
      obs.trace('work', () => orders.add(1, { plan: 'pro' }));
      obs.log.info({ i }, 'line');
    }
    await new Promise((resolve) => setTimeout(resolve, 100)); // the first batches are now hanging
    const started = performance.now();
    await obs.shutdown({ timeoutMs: 500 });
    const took = performance.now() - started;

    expect(took).toBeLessThan(500 + 250);
    expect(collector.requests.hang).toBeGreaterThan(0);
    const stats = obs.stats().otlp ?? {};
    expect(unbalanced(stats)).toEqual([]);
    for (const signal of SIGNALS) expect(stats[signal]?.queued ?? 0, `${signal} queued`).toBe(0);
    expect(stats.traces?.dropped.shutdown).toBeGreaterThan(0);
  });
});

describe('node:cluster workers each running sightline', () => {
  /** Runs a cluster script to its end: its exit code, and how many times it gave each warning. */
  async function warningsOf(name: string, env: NodeJS.ProcessEnv = process.env, args: string[] = []) {
    const script = fileURLToPath(new URL(name, import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    return { code, told: (warning: string) => stderr.split(`[${warning}]`).length - 1 };
  }

  it.each([
    ['the primary’s, when the primary gave it before forking', './cluster-warnings.ts', ['SLWRN002']],
    ['the main thread’s, when it gave it before starting worker threads', './thread-warnings.ts', []],
  ])(
    'give each warning of the configuration once, %s',
    async (_, script, more) => {
      // Act: the primary and its two workers (or the main thread and two worker threads) run init()
      // as the app's entry does, DD_ENV=prod beside exporters.production.
      const { code, told } = await warningsOf(script, { ...process.env, DD_ENV: 'prod', NODE_ENV: '' });

      // Assess: each code once, not once per process or thread.
      expect(code).toBe(0);
      const codes = ['SLWRN001', ...more, 'SLWRN003'];
      expect(codes.map(told)).toEqual(codes.map(() => 1));
    },
    30_000,
  );

  it('give a warning in a worker thread whose main thread runs no sightline, its record made by another process of its pid', async () => {
    const { code, told } = await warningsOf('./thread-warnings.ts', process.env, ['stale']);

    expect(code).toBe(0);
    expect(told('SLWRN001')).toBe(1);
  }, 30_000);

  it('give a warning in a worker whose primary gave none, its record of warnings made by another process of its pid', async () => {
    const { code, told } = await warningsOf('./cluster-stale-warnings.ts');

    // The worker was silenced by a record its primary never made.
    expect(code).toBe(0);
    expect(told('SLWRN001')).toBe(1);
  }, 30_000);

  it.each([
    ['', undefined],
    [
      ', given an empty one by OTEL_RESOURCE_ATTRIBUTES (a template whose variable was not set)',
      'service.instance.id=',
    ],
  ])(
    'send the same series to an OTLP collector as two instances, not one whose sums mix%s',
    async (_, attributes) => {
      // Prepare: a loopback collector.
      const collector = await startCollector();
      try {
        // Act: the primary forks two workers, each counting orders.placed and shutting down.
        const script = fileURLToPath(new URL('./cluster-workers.ts', import.meta.url));
        const env = { ...process.env, OTEL_RESOURCE_ATTRIBUTES: attributes };
        const child = spawn(process.execPath, ['--import', 'tsx', script, collector.url], {
          stdio: 'inherit',
          env,
        });
        const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));

        // Assess: each worker's points name a resource of its own (service.instance.id).
        expect(code).toBe(0);
        type Body = { resourceMetrics: { resource: { attributes: { key: string; value: unknown }[] } }[] };
        const resources = collector
          .accepted('metrics')
          .flatMap((r) => (r.json as Body).resourceMetrics.map((m) => JSON.stringify(m.resource.attributes)));
        expect(resources).toHaveLength(2);
        expect(new Set(resources).size).toBe(2);
      } finally {
        await collector.close();
      }
    },
    30_000,
  );

  it('send the same series to Elasticsearch as documents that name their instance', async () => {
    // Prepare: a loopback Elasticsearch.
    const intake = await EsIntake.start({ authorization: `ApiKey ${ES_API_KEY}` });
    try {
      // Act: the primary forks two workers, each counting orders.placed and shutting down.
      const script = fileURLToPath(new URL('./cluster-workers.ts', import.meta.url));
      const args = ['--import', 'tsx', script, intake.url, 'elastic', ES_API_KEY];
      const child = spawn(process.execPath, args, { stdio: 'inherit' });
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));

      // Assess: each worker's document names the service instance that wrote it.
      expect(code).toBe(0);
      const docs = intake
        .bulk()
        .flatMap((r) => r.ops.map((o) => o.doc))
        .filter((d) => 'orders' in d);
      expect(docs).toHaveLength(2);
      const nodes = docs.map((d) => (d.service as { node?: { name?: unknown } }).node?.name);
      expect(nodes).toEqual([expect.any(String), expect.any(String)]);
      expect(new Set(nodes).size).toBe(2);
    } finally {
      await intake.close();
    }
  }, 30_000);

  it.each([
    [
      'handles SIGTERM with cluster.disconnect(): each worker ends on its own, sending its point',
      'disconnect',
      'primary',
      2,
    ],
    ['has no SIGTERM handler: Node ends each worker at once, its point lost', 'none', 'primary', 0],
    [
      'handles SIGTERM with cluster.disconnect(), every process gets it (systemd), workers handleSignals: true: each worker flushes',
      'disconnect',
      'group',
      2,
    ],
  ])(
    'whose primary %s',
    async (_label, how, receivers, instances) => {
      // Prepare: a loopback collector; the primary's two workers serving, each having counted a point.
      const collector = await startCollector();
      try {
        const script = fileURLToPath(new URL('./cluster-sigterm.ts', import.meta.url));
        const workerSignals = receivers === 'group' ? 'on' : 'off';
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', script, collector.url, how, workerSignals],
          {
            stdio: ['ignore', 'inherit', 'pipe'],
            detached: receivers === 'group',
          },
        );
        let stderr = '';
        await new Promise<void>((resolve) =>
          child.stderr.on('data', (chunk) => {
            stderr += chunk;
            if (stderr.includes('ready')) resolve();
          }),
        );

        // Act: SIGTERM reaches the primary only, as from Kubernetes, or every process of the group.
        const exited = new Promise<unknown>((resolve) =>
          child.on('exit', (code, signal) => resolve({ code, signal })),
        );
        if (receivers === 'group') process.kill(-(child.pid ?? 0), 'SIGTERM');
        else child.kill('SIGTERM');

        // Assess: a disconnected worker's event loop empties and sightline shuts down before it ends.
        expect(await exited).toEqual(
          how === 'none' ? { code: null, signal: 'SIGTERM' } : { code: 0, signal: null },
        );
        expect(collector.accepted('metrics')).toHaveLength(instances);
      } finally {
        await collector.close();
      }
    },
    30_000,
  );
});

describe('a process that ends on its own without shutdown()', () => {
  /**
   * Runs natural-exit-child.ts against a collector and resolves with its exit code and how long it
   * took to end once its job had recorded: its start-up, seconds on a loaded machine, is not timed.
   */
  async function runJob(
    how: string,
    collector: Pick<FaultyBackend, 'url'>,
  ): Promise<{ code: number | null; took: number }> {
    const script = fileURLToPath(new URL('./natural-exit-child.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script, how, collector.url], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let recordedAt = Number.NaN;
    child.stdout.on('data', (chunk: Buffer) => {
      if (Number.isNaN(recordedAt) && chunk.includes('recorded')) recordedAt = performance.now();
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    return { code, took: performance.now() - recordedAt };
  }

  it.each([
    ['returns', 'return', 0],
    ['sets process.exitCode and returns', 'exit-code', 3],
    ['runs in a worker thread that returns', 'worker', 0],
  ])(
    '%s: its span, metric points, log line and anomaly event reach the collector, exit code kept',
    async (_label, how, exitCode) => {
      // Prepare, act: the job records, then leaves the event loop to empty.
      const collector = await backend();
      const { code } = await runJob(how, collector);

      // Assess: what it recorded was sent before the process ended, which it did as it would have.
      expect(code).toBe(exitCode);
      expect(collector.received.traces).toBe(1);
      expect(collector.received.metrics).toBeGreaterThan(0);
      // The job's line and the anomaly's own warn line.
      expect(collector.received.logs).toBe(2);
      expect(collector.received.events).toBe(1);
    },
    30_000,
  );

  it('keeps recording through the work its own beforeExit listener schedules, and sends that too', async () => {
    const collector = await backend();
    const { code } = await runJob('more-work', collector);

    expect(code).toBe(0);
    expect(collector.received.traces).toBe(2);
    expect(collector.received.logs).toBe(3);
  }, 30_000);

  it('ends within shutdownTimeout when the backend hangs', async () => {
    const collector = await backend({ hangMs: 30_000 });
    await collector.setMode('hang');
    const { code, took } = await runJob('return', collector);

    // The child's deadline is 2 s once its event loop is empty; held by the backend it would take 30 s.
    expect(code).toBe(0);
    expect(collector.requests.hang).toBeGreaterThan(0);
    expect(took).toBeLessThan(2000 + 1500);
  }, 30_000);

  it.each([
    ['OTLP', 'in-flight', 0],
    // The AWS SDK holds the process with timers of its own for 3 s after a call starts.
    ['CloudWatch api mode', 'cloudwatch-in-flight', 3000],
  ])(
    '%s: ends within shutdownTimeout when a request to the hung backend is in flight as it ends',
    async (_label, how, sdkTimers) => {
      const collector = await backend({ hangMs: 30_000 });
      await collector.setMode('hang');
      const { code, took } = await runJob(how, collector);

      // The child's deadline is 2 s after its 300 ms of work. Held by the request, it would take
      // over 10 s.
      expect(code).toBe(0);
      expect(collector.requests.hang).toBeGreaterThan(0);
      expect(took).toBeLessThan(300 + sdkTimers + 2000 + 1500);
    },
    30_000,
  );

  it("keeps a call of the service's own alive that takes a batch's socket on Node's shared agent", async () => {
    // Prepare: a collector answering each batch after 100 ms, and the service's GET /work after 2.5 s.
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => setTimeout(() => res.end('{}'), req.method === 'GET' ? 2500 : 100));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      // Act: with one socket per host, the service's call waits for the batch's socket and gets it.
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const { code } = await runJob('shared-agent', { url });

      // Assess: the process waited for its own call's answer, instead of ending in the middle of it
      // once sightline had shut down (exit code 4).
      expect(code).toBe(0);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  }, 30_000);
});
