import { type ChildProcess, fork } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AdapterStats } from '../../src/index.js';

const entry = fileURLToPath(new URL('./service.ts', import.meta.url));

export type Framework = 'express' | 'fastify';
export type Variant = 'bare' | 'sightline';

export interface ServiceOptions {
  framework: Framework;
  variant: Variant;
  backendUrl?: string;
  /** Bearer token sent to the backend (a sentinel in the secrets tests). */
  token?: string;
  /** Extra `init()` options, and `channel` options of the OTLP adapter. */
  sightline?: { init?: Record<string, unknown>; channel?: Record<string, unknown> };
  env?: Record<string, string>;
}

export interface Memory {
  rss: number;
  heapUsed: number;
}

/** A service child process, its output captured in files, driven over IPC. */
export interface ServiceProcess {
  readonly name: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** Resolves with the exit code and signal once the child is gone. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout(): string;
  stderr(): string;
  request<T = Record<string, unknown>>(cmd: string, extra?: Record<string, unknown>): Promise<T>;
  memory(): Promise<Memory>;
  stats(): Promise<Record<string, AdapterStats>>;
  /** Asks the service to shut sightline down, then ends the process and removes its output. */
  stop(): Promise<void>;
}

let nextId = 1;

/** Forks the service with `--expose-gc`; stdout and stderr go to files so the parent never back-pressures them. */
export async function startService(options: ServiceOptions): Promise<ServiceProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'sightline-rel-'));
  const outPath = join(dir, 'stdout');
  const errPath = join(dir, 'stderr');
  const outFd = openSync(outPath, 'w');
  const errFd = openSync(errPath, 'w');
  const child = fork(entry, [], {
    execArgv: ['--expose-gc', '--import', 'tsx'],
    stdio: ['ignore', outFd, errFd, 'ipc'],
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_ENV: 'production',
      SERVICE_FRAMEWORK: options.framework,
      SERVICE_VARIANT: options.variant,
      BACKEND_URL: options.backendUrl ?? '',
      BACKEND_TOKEN: options.token ?? '',
      SERVICE_SIGHTLINE: JSON.stringify(options.sightline ?? {}),
      ...options.env,
    },
  });
  // The child has its own copies.
  closeSync(outFd);
  closeSync(errFd);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const port = await new Promise<number>((resolve, reject) => {
    const onExit = () => reject(new Error(`service exited early: ${readFileSync(errPath, 'utf8')}`));
    child.once('exit', onExit);
    child.on('message', (m: { port?: number }) => {
      if (m.port) {
        child.off('exit', onExit);
        resolve(m.port);
      }
    });
  });
  const request = <T>(cmd: string, extra: Record<string, unknown> = {}): Promise<T> => {
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      const onMessage = (m: { id?: number }) => {
        if (m.id !== id) return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(m as T);
      };
      const onExit = () => reject(new Error(`service exited during ${cmd}`));
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send({ cmd, id, ...extra });
    });
  };
  return {
    name: `${options.framework}/${options.variant}`,
    port,
    child,
    exited,
    stdout: () => readFileSync(outPath, 'utf8'),
    stderr: () => readFileSync(errPath, 'utf8'),
    request,
    memory: () => request<Memory>('mem'),
    stats: async () => (await request<{ stats: Record<string, AdapterStats> }>('stats')).stats,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        await request('shutdown', { timeoutMs: 5000 }).catch(() => undefined);
        child.kill('SIGKILL');
        await exited;
      }
      // A soak's access-log lines fill about 100 MB a minute.
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
