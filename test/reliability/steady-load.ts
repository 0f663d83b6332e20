import { fork } from 'node:child_process';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { routeOf } from './load.js';
import type { Framework } from './service-process.js';

/** What one steady run measured: completions and the latency of every request, in ms. */
export interface SteadySample {
  /** Requests sent on schedule during the run. */
  sent: number;
  /** Requests answered with the expected status. */
  ok: number;
  /** Wrong status, socket error or timeout. */
  failures: number;
  /** Latency of each answered request, from the moment it was due (so a stall counts in full). */
  latenciesMs: number[];
  /** When each answered request was due, on `monotonicMs()`'s clock; also sent as its `x-due` header. */
  dueMs: number[];
  /** How late the generator sent each request it sent (timer lateness, its own stalls), in ms. */
  lateMs: number[];
  /** From the first due time to the last answer: longer than the run when the service fell behind. */
  elapsedMs: number;
}

export interface SteadyOptions {
  /** Requests per second, sent on a fixed schedule whatever the service does (open loop). */
  rate: number;
  durationMs: number;
  /** Keep-alive connections; a request due while all are busy waits for one, and that wait counts. */
  connections?: number;
  timeoutMs?: number;
  /** When request 0 is due, on `monotonicMs()`'s clock: targets given the same start share one schedule. */
  startAt?: number;
}

/**
 * The machine-wide monotonic clock (CLOCK_MONOTONIC), in ms: the same in every process, so a service
 * can time a request from the moment the generator meant to send it.
 */
export const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;

const TICK_MS = 1;

/**
 * Steady loopback load, the way a service sees production traffic: a fixed request rate rather than
 * as many requests as the machine can push. Latency is measured from each request's due time, so a
 * service that stalls shows it in its tail instead of being sent fewer requests (coordinated omission).
 */
export async function steadyLoad(
  port: number,
  framework: Framework,
  options: SteadyOptions,
): Promise<SteadySample> {
  const route = routeOf(framework);
  const expected = framework === 'express' ? 201 : 200;
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections ?? 16 });
  const timeoutMs = options.timeoutMs ?? 5000;
  const latenciesMs: number[] = [];
  const dueMs: number[] = [];
  const lateMs: number[] = [];
  let sent = 0;
  let ok = 0;
  let failures = 0;
  const pending: Promise<void>[] = [];
  let lastAnswer = 0;

  const fire = (dueAt: number): Promise<void> =>
    new Promise<void>((resolve) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method: route.method,
          path: route.path,
          headers: { ...route.headers, 'x-due': dueAt.toFixed(4) },
          agent,
          timeout: timeoutMs,
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            const now = monotonicMs();
            lastAnswer = Math.max(lastAnswer, now);
            if (res.statusCode === expected) {
              ok++;
              latenciesMs.push(now - dueAt);
              dueMs.push(dueAt);
            } else failures++;
            resolve();
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        failures++;
        resolve();
      });
      lateMs.push(monotonicMs() - dueAt);
      req.end(route.body);
    });

  const total = Math.floor((options.durationMs * options.rate) / 1000);
  const start = options.startAt ?? monotonicMs();
  while (monotonicMs() < start - 1) await new Promise((r) => setTimeout(r, start - monotonicMs() - 1));
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = monotonicMs();
      // Request k is due at k / rate seconds: those due by now are the first floor(elapsed * rate) + 1.
      const due = Math.min(total, Math.floor(((now - start) * options.rate) / 1000) + 1);
      for (; sent < due; sent++) pending.push(fire(start + (sent * 1000) / options.rate));
      if (now - start >= options.durationMs) {
        clearInterval(timer);
        resolve();
      }
    }, TICK_MS);
  });
  await Promise.all(pending);
  agent.destroy();
  return {
    sent,
    ok,
    failures,
    latenciesMs,
    dueMs,
    lateMs,
    elapsedMs: Math.max(options.durationMs, lastAnswer - start),
  };
}

/** The `q` quantile (0..1) of `values`, nearest rank. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;
}

/** A load generator in a child process: `run` loads every target at once and returns their samples. */
export interface LoadWorker {
  readonly pid: number | undefined;
  run(targets: { port: number; framework: Framework }[], options: SteadyOptions): Promise<SteadySample[]>;
  close(): void;
}

export async function startLoadWorker(): Promise<LoadWorker> {
  const child = fork(fileURLToPath(new URL('./load-worker.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`load worker exited with ${code}`)));
  });
  let nextId = 1;
  return {
    pid: child.pid,
    run(targets, options) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const onMessage = (m: { id?: number; samples?: SteadySample[] }) => {
          if (m.id !== id) return;
          child.off('message', onMessage);
          child.off('exit', onExit);
          resolve(m.samples ?? []);
        };
        const onExit = () => reject(new Error('load worker exited during a run'));
        child.on('message', onMessage);
        child.once('exit', onExit);
        child.send({ id, targets, ...options });
      });
    },
    close: () => child.kill(),
  };
}
