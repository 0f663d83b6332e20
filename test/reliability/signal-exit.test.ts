/**
 * A service's own graceful shutdown keeps its telemetry to the end, and its traffic draining away
 * is not reported as an outage. And signal-exit stands aside while another SIGTERM listener is
 * there and ends the process itself once alone; sightline's handleSignals must neither keep the
 * process alive after its flush nor let signal-exit end it before.
 */
import { spawn } from 'node:child_process';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startCollector } from '../adapters/otlp/intake-server.js';
import { type FaultyBackend, startFaultyBackend } from './faulty-backend.js';

const child = fileURLToPath(new URL('./signal-exit-child.ts', import.meta.url));
const drainChild = fileURLToPath(new URL('./graceful-drain-child.ts', import.meta.url));
const detectorDrainChild = fileURLToPath(new URL('./drain-detector-child.ts', import.meta.url));
let collector: FaultyBackend | undefined;
afterEach(async () => {
  await collector?.close();
  collector = undefined;
});

describe('handleSignals with signal-exit listening too', () => {
  it.each([
    ['no signal-exit', 'none'],
    ['signal-exit registered before init()', 'before'],
    ['signal-exit registered after init()', 'after'],
  ])(
    '%s: SIGTERM flushes, then the process ends by the signal',
    async (_label, when) => {
      collector = await startFaultyBackend();
      const p = spawn(process.execPath, ['--import', 'tsx', child, when, collector.url], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      await new Promise<void>((r) =>
        p.stderr.on('data', (d) => {
          stderr += d;
          if (stderr.includes('ready')) r();
        }),
      );
      const exited = new Promise<unknown>((r) => p.on('exit', (code, signal) => r({ code, signal })));
      p.kill('SIGTERM');
      const outcome = await Promise.race([
        exited,
        new Promise((r) => setTimeout(() => r('still running'), 6000)),
      ]);
      p.kill('SIGKILL');
      expect(outcome).toEqual({ code: null, signal: 'SIGTERM' });
      expect(collector.received.traces).toBeGreaterThan(0);
    },
    20_000,
  );
});

describe('handleSignals with a graceful shutdown of the service its own', () => {
  it.each([
    ['', []],
    [', its handler a process.once listener registered before init()', ['once-first']],
  ])(
    'keeps exporting while the requests in flight finish%s, then flushes as the process ends',
    async (_label, args) => {
      collector = await startFaultyBackend();
      const p = spawn(process.execPath, ['--import', 'tsx', drainChild, collector.url, ...args], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      p.stderr.on('data', (d) => {
        stderr += d;
      });
      const seen = async (text: string) => {
        while (!stderr.includes(text)) await new Promise((r) => setTimeout(r, 10));
      };
      await seen('ready');
      const port = Number(/ready (\d+)/.exec(stderr)?.[1]);
      const exited = new Promise<unknown>((r) => p.on('exit', (code, signal) => r({ code, signal })));
      const answered = new Promise<number | undefined>((resolve, reject) => {
        request({ host: '127.0.0.1', port, agent: false }, (res) => {
          res.resume();
          resolve(res.statusCode);
        })
          .on('error', reject)
          .end();
      });
      await seen('started');
      p.kill('SIGTERM');
      expect(await answered).toBe(200);
      const outcome = await Promise.race([
        exited,
        new Promise((r) => setTimeout(() => r('still running'), 6000)),
      ]);
      p.kill('SIGKILL');
      // The service ended itself once drained; the span and log lines of the drain reached the backend.
      expect(outcome).toEqual({ code: 0, signal: null });
      expect(collector.received.traces).toBe(1);
      expect(collector.received.logs).toBe(3);
    },
    20_000,
  );

  it('ends within shutdownTimeout once drained when the backend hangs, not after the flush at the signal', async () => {
    collector = await startFaultyBackend({ hangMs: 30_000 });
    await collector.setMode('hang');
    const p = spawn(process.execPath, ['--import', 'tsx', drainChild, collector.url], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    p.stderr.on('data', (d) => {
      stderr += d;
    });
    while (!stderr.includes('ready')) await new Promise((r) => setTimeout(r, 10));
    const port = Number(/ready (\d+)/.exec(stderr)?.[1]);
    const exited = new Promise<void>((r) => p.on('exit', () => r()));
    await new Promise<void>((resolve, reject) => {
      request({ host: '127.0.0.1', port, agent: false }, (res) => res.resume().on('end', resolve))
        .on('error', reject)
        .end();
    });
    // No request in flight: the service drains at once and its event loop empties.
    const signalledAt = performance.now();
    p.kill('SIGTERM');
    await exited;
    const took = performance.now() - signalledAt;

    // The child's deadline is 2 s. Held by the flush begun at the signal until that flush's own
    // deadline, the process shut down only then, taking 4 s.
    expect(collector.requests.hang).toBeGreaterThan(0);
    expect(took).toBeLessThan(2000 + 1500);
  }, 20_000);

  it.each([
    ['its event loop empties', 'drained'],
    [
      "its own handler awaits the worker's end and obs.shutdown(), then calls process.exit()",
      'drained-shutdown',
    ],
  ])(
    'ends a worker thread that drains, and then the process, within shutdownTimeout when the backend hangs: %s',
    async (_label, how) => {
      collector = await startFaultyBackend({ hangMs: 30_000 });
      await collector.setMode('hang');
      const pool = fileURLToPath(new URL('./thread-pool-child.ts', import.meta.url));
      const p = spawn(process.execPath, ['--import', 'tsx', pool, collector.url, how], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      p.stderr.on('data', (d) => {
        stderr += d;
      });
      while (!stderr.includes('ready')) await new Promise((r) => setTimeout(r, 10));
      const exited = new Promise<void>((r) => p.on('exit', () => r()));
      const signalledAt = performance.now();
      p.kill('SIGTERM');
      while (!stderr.includes('thread ended')) await new Promise((r) => setTimeout(r, 10));
      const threadTook = performance.now() - signalledAt;
      await exited;
      const took = performance.now() - signalledAt;

      // The thread drains at once; the deadline is 2 s. Its flush at the signal waited for the
      // backend, holding the thread until that flush's deadline, and it shut down only then: 4 s.
      // The main thread's shutdown began as the thread's end emptied its event loop (or its handler
      // awaited it), to a deadline of its own: the process took 4 s.
      expect(collector.requests.hang).toBeGreaterThan(0);
      expect(threadTook).toBeLessThan(2000 + 1500);
      expect(took).toBeLessThan(2000 + 1000);
    },
    20_000,
  );
});

/**
 * Cycles of steady load a child's detector is given before the test's signal or outage: twelve
 * past its ten of warm-up.
 */
const STEADY_CYCLES = 22;
/** The least a cycle of steady load counts: a quarter of what it counts on an idle machine. */
const STEADY_COUNT = 5;

/**
 * Runs a child whose drain lasts 1.5 s, writing `ready [port]` on stderr once serving, each
 * anomaly event as `anomaly <json>` and each cycle's total of `counted` as `counted <name> <n>`.
 * `warm` loads it until `steady()`: its last STEADY_CYCLES cycles each counted STEADY_COUNT or
 * more. On a busy machine a fixed time of load gave its detector fewer cycles, the first ones
 * counting a few requests as the child compiled its code, a baseline in which silence was no
 * outage. Then sends `signal` and waits seven cycles of 200 ms, the drain or the load gone
 * elsewhere: the `metric kind` of each event heard after. Where events are `awaited` (an outage
 * that must be reported), it waits until each is heard, up to 30 cycles: a loaded machine slows
 * the child's cycles, and waiting longer cannot hide an event from a case that expects none.
 */
async function anomaliesAfter(
  script: string,
  counted: string,
  warm: (port: number, steady: () => boolean) => Promise<void>,
  signal: NodeJS.Signals | undefined,
  awaited: readonly string[] = [],
): Promise<string[]> {
  const p = spawn(process.execPath, ['--import', 'tsx', script, '1500'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  p.stderr.on('data', (d) => {
    stderr += d;
  });
  const steady = () => {
    const totals = stderr
      .split('\n')
      .filter((l) => l.startsWith(`counted ${counted} `))
      .map((l) => Number(l.slice(`counted ${counted} `.length)));
    const last = totals.slice(-STEADY_CYCLES - 1);
    return (
      last.length > STEADY_CYCLES &&
      last.every((n, i) => i === 0 || n - (last[i - 1] as number) >= STEADY_COUNT)
    );
  };
  while (!stderr.includes('ready')) await new Promise((r) => setTimeout(r, 10));
  await warm(Number(/ready (\d+)/.exec(stderr)?.[1]), steady);
  const heardBefore = stderr.length;
  const exited = new Promise<unknown>((r) => p.on('exit', (code, sig) => r({ code, sig })));
  if (signal) p.kill(signal);
  const heard = () =>
    stderr
      .slice(heardBefore)
      .split('\n')
      .filter((l) => l.startsWith('anomaly '))
      .map((l) => JSON.parse(l.slice('anomaly '.length)) as { metric: string; kind: string })
      .map((e) => `${e.metric} ${e.kind}`);
  let done = false;
  const waited = (async () => {
    // Up to eight cycles for the events awaited: a machine busy with other test files slows the
    // child's cycles, and a level shift is told a few cycles after the dip that starts it.
    const until = performance.now() + (awaited.length > 0 ? 12_000 : 1500);
    while (!done && performance.now() < until) {
      await new Promise((r) => setTimeout(r, 50));
      if (awaited.length > 0 && awaited.every((e) => heard().includes(e))) return;
    }
  })();
  await Promise.race([exited, waited]);
  done = true;
  p.kill('SIGKILL');
  await exited;
  return heard();
}

/** GET /orders, `perTick` at a time every 20 ms, until `done()`: about 100 requests a second. */
async function load(port: number, done: () => boolean, perTick = 2): Promise<void> {
  const get = () =>
    new Promise<void>((resolve) => {
      request({ host: '127.0.0.1', port, path: '/orders', agent: false }, (res) => {
        res.resume();
        res.on('end', resolve);
      })
        .on('error', () => resolve())
        .end();
    });
  while (!done()) {
    await Promise.all(Array.from({ length: perTick }, get));
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('handleSignals with a graceful shutdown of the service its own: the detector', () => {
  // The route's rate and the orders counter, both fallen to nothing.
  const outage = ['http.server.request.rate level_shift', 'orders.placed level_shift'];
  it.each([
    ['the load moves elsewhere while the service runs on: an outage', false],
    ['SIGTERM, the load moving to the other replicas during the drain: the replica leaving', true],
  ])(
    '%s',
    async (_label, terminate) => {
      const events = await anomaliesAfter(
        detectorDrainChild,
        'orders.placed',
        load,
        terminate ? 'SIGTERM' : undefined,
        terminate ? [] : outage,
      );
      if (terminate) expect(events).toEqual([]);
      else expect(events).toEqual(expect.arrayContaining(outage));
    },
    45_000,
  );
});

describe('a node:cluster worker drained by cluster.disconnect()', () => {
  const clusterChild = fileURLToPath(new URL('./drain-detector-cluster-child.ts', import.meta.url));
  const clusterThreadChild = fileURLToPath(
    new URL('./drain-detector-cluster-thread-child.ts', import.meta.url),
  );

  it.each([
    [
      'its detector',
      clusterChild,
      'orders.placed',
      ['http.server.request.rate level_shift', 'orders.placed level_shift'],
    ],
    [
      'the detector of its worker thread, the jobs it hands it',
      clusterThreadChild,
      'jobs.done',
      ['jobs.done level_shift'],
    ],
  ] as const)(
    '%s',
    async (_label, child, counted, outage) => {
      for (const signal of [undefined, 'SIGTERM'] as const) {
        const events = await anomaliesAfter(
          child,
          counted,
          async (port, steady) => {
            await load(port, steady);
            // A slow request in flight, which the worker's drain waits for.
            request({ host: '127.0.0.1', port, path: '/slow', agent: false }, (res) => res.resume())
              .on('error', () => {})
              .end();
            await new Promise((r) => setTimeout(r, 50));
          },
          signal,
          signal ? [] : outage,
        );
        // The load moving elsewhere while the worker runs on: an outage. cluster.disconnect(), a
        // request in flight holding the worker for seven cycles: the worker leaving.
        if (signal) expect(events).toEqual([]);
        else expect(events).toEqual(expect.arrayContaining([...outage]));
      }
    },
    60_000,
  );
});

describe('handleSignals with a graceful shutdown of the service its own: the detector of a worker thread', () => {
  const threadChild = fileURLToPath(new URL('./drain-detector-thread-child.ts', import.meta.url));

  it.each([
    ['the jobs stop while the service runs on: an outage', 'SIGUSR2'],
    ['SIGTERM, the main thread handing the worker no more jobs in the drain: the replica leaving', 'SIGTERM'],
  ] as const)(
    '%s',
    async (_label, signal) => {
      const events = await anomaliesAfter(
        threadChild,
        'jobs.done',
        async (_port, steady) => {
          while (!steady()) await new Promise((r) => setTimeout(r, 50));
        },
        signal,
        signal === 'SIGTERM' ? [] : ['jobs.done level_shift'],
      );
      if (signal === 'SIGTERM') expect(events).toEqual([]);
      else expect(events).toEqual(['jobs.done level_shift']);
    },
    40_000,
  );
});

describe('handleSignals in a process with worker threads, each running sightline', () => {
  const pool = fileURLToPath(new URL('./thread-pool-child.ts', import.meta.url));

  /** Runs thread-pool-child.ts until it is ready; resolves with it and the collector it sends to. */
  async function startPool(how: string) {
    const otlpCollector = await startCollector();
    const p = spawn(process.execPath, ['--import', 'tsx', pool, otlpCollector.url, how], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const exited = new Promise<unknown>((r) => p.on('exit', (code, signal) => r({ code, signal })));
    let stderr = '';
    await new Promise<void>((r) =>
      p.stderr.on('data', (d) => {
        stderr += d;
        if (stderr.includes('ready')) r();
      }),
    );
    /** The names of the series the collector received, each time it received one. */
    const series = () =>
      otlpCollector
        .accepted('metrics')
        .flatMap((r) => (r.json as MetricsBody).resourceMetrics)
        .flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics.map((m) => m.name)))
        .filter((name) => name.endsWith('.hits'))
        .sort();
    return { p, exited, series, close: () => otlpCollector.close() };
  }
  type MetricsBody = { resourceMetrics: { scopeMetrics: { metrics: { name: string }[] }[] }[] };

  it.each([
    ['a worker waiting for tasks', 'pool', 2000],
    ['another worker ended by worker.terminate() before it', 'terminated', 10_000],
    ["another, started before the main thread's init(), ended by worker.terminate()", 'early', 10_000],
    ['another, started by the worker and ended by it with worker.terminate()', 'nested', 10_000],
  ])(
    'SIGTERM flushes the worker threads too, then ends the process: %s',
    async (_label, how, deadline) => {
      const { p, exited, series, close } = await startPool(how);
      try {
        const sentAt = performance.now();
        p.kill('SIGTERM');
        const outcome = await Promise.race([
          exited,
          new Promise((r) => setTimeout(() => r('still running'), deadline + 4000)),
        ]);
        const took = performance.now() - sentAt;
        p.kill('SIGKILL');

        // Signals reach the main thread only; the worker's point was sent before the process ended,
        // and a thread that is gone kept the process no longer than the flush took.
        expect(outcome).toEqual({ code: null, signal: 'SIGTERM' });
        expect(series()).toEqual(['main.hits', 'thread.hits']);
        expect(took).toBeLessThan(how === 'pool' ? deadline + 1500 : 5000);
      } finally {
        await close();
      }
    },
    30_000,
  );

  it.each([
    [
      "flushes the worker threads before a service's own handler, awaiting obs.shutdown(), calls process.exit()",
      'graceful',
      ['main.hits', 'thread.hits'],
    ],
    // The flush at the signal collected the worker's metrics before it recorded late.hits.
    [
      "sends what a worker thread records during the drain before a service's own handler, awaiting obs.shutdown(), calls process.exit()",
      'late',
      ['late.hits', 'main.hits', 'thread.hits'],
    ],
    // The main thread's shutdown shares the deadline of the thread's, which has just ended.
    [
      "sends what a worker thread records as it drains and ends before a service's own handler, awaiting its end and obs.shutdown(), calls process.exit()",
      'drained-shutdown',
      ['drain.hits', 'main.hits', 'thread.hits'],
    ],
    [
      'sends what a worker thread records as it drains at SIGTERM and ends, then the main thread as its event loop empties',
      'drained',
      ['drain.hits', 'main.hits', 'thread.hits'],
    ],
    [
      'keeps neither the process nor a worker alive: both end on their own, sending their points',
      'return',
      ['main.hits', 'thread.hits'],
    ],
  ])(
    '%s',
    async (_label, how, names) => {
      const { p, exited, series, close } = await startPool(how);
      try {
        if (how !== 'return') p.kill('SIGTERM');
        const outcome = await Promise.race([
          exited,
          new Promise((r) => setTimeout(() => r('still running'), 8000)),
        ]);
        p.kill('SIGKILL');

        // Each thread collects again as the process ends, after the flush at the signal: a counter's
        // cumulative point may come twice, as the main thread's does after a drain.
        expect(outcome).toEqual({ code: 0, signal: null });
        expect([...new Set(series())]).toEqual(names);
      } finally {
        await close();
      }
    },
    30_000,
  );

  it('gives the main thread all of shutdownTimeout when the process ends on its own after a worker thread whose shutdown waited for a slow backend', async () => {
    // Answers each request after 1.3 s; one whose sender gave up before is not delivered.
    const delivered: string[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        setTimeout(() => {
          if (res.socket?.destroyed !== false) return;
          if (req.url === '/v1/metrics') {
            const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as MetricsBody;
            for (const rm of body.resourceMetrics)
              for (const sm of rm.scopeMetrics) for (const m of sm.metrics) delivered.push(m.name);
          }
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{}');
        }, 1300);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const p = spawn(process.execPath, ['--import', 'tsx', pool, url, 'return'], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      const outcome = await Promise.race([
        new Promise<unknown>((r) => p.on('exit', (code, signal) => r({ code, signal }))),
        new Promise((r) => setTimeout(() => r('still running'), 10_000)),
      ]);
      p.kill('SIGKILL');

      // No signal, no drain: the main thread sent nothing as the worker's shutdown began, and its
      // own shutdown, begun as the worker's end emptied its event loop, had what was left of the
      // worker's deadline (0.7 s of 2 s) for a request the backend answers in 1.3 s.
      expect(outcome).toEqual({ code: 0, signal: null });
      expect([...new Set(delivered.filter((n) => n.endsWith('.hits')))].sort()).toEqual([
        'main.hits',
        'thread.hits',
      ]);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  }, 30_000);
});
