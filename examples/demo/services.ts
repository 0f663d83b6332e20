/**
 * Starts the two example services as child processes (two real services, each with its own
 * sightline instance, one trace across both over HTTP) and speaks the IPC protocol with them.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AnomalyEvent } from 'sightline';
import type { BandPoint, FromService, LogRecord, ServiceFault, SpanRecord, ToService } from './protocol.js';
import type { ServiceName } from './scenario.js';

export interface ServiceHandlers {
  onBands(service: ServiceName, time: number, bands: readonly BandPoint[]): void;
  onAnomaly(service: ServiceName, event: AnomalyEvent): void;
}

const SCRIPT = fileURLToPath(new URL('./service.ts', import.meta.url));

/** A running service process. */
export class ServiceProcess {
  private nextId = 1;
  private readonly pending = new Map<number, (message: FromService) => void>();
  private exited = false;

  private constructor(
    readonly name: ServiceName,
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    child.on('exit', () => {
      this.exited = true;
    });
  }

  /** Forks `service.ts` and resolves once it listens; rejects if it dies or takes over 30 s. */
  static start(
    name: ServiceName,
    env: Record<string, string>,
    handlers: ServiceHandlers,
  ): Promise<ServiceProcess> {
    const child = fork(SCRIPT, [name === 'checkout-api' ? 'checkout' : 'inventory'], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    return new Promise((resolve, reject) => {
      let proc: ServiceProcess | undefined;
      const timer = setTimeout(() => {
        child.kill();
        reject(new Error(`${name} did not start within 30 s\n${stderr}`));
      }, 30_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        if (proc === undefined)
          reject(new Error(`${name} exited with code ${code} before listening\n${stderr}`));
      });
      child.on('message', (raw) => {
        const message = raw as FromService;
        if (message.type === 'ready') {
          clearTimeout(timer);
          proc = new ServiceProcess(name, child, message.port);
          resolve(proc);
        } else if (message.type === 'bands') handlers.onBands(name, message.time, message.bands);
        else if (message.type === 'anomaly') handlers.onAnomaly(name, message.event);
        else proc?.settle(message);
      });
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  setFaults(faults: readonly ServiceFault[]): void {
    this.send({ type: 'faults', faults });
  }

  /** The slowest server span of `route` since `sinceMs`, or no trace id if none was kept. */
  async slowest(
    route: string,
    sinceMs: number,
  ): Promise<{ traceId: string | undefined; durationMs: number }> {
    const reply = await this.ask((id) => ({ type: 'slowest', id, route, sinceMs }));
    return reply?.type === 'slowest' ? reply : { traceId: undefined, durationMs: 0 };
  }

  /** The spans and log lines of one trace this service kept. */
  async trace(traceId: string): Promise<{ spans: readonly SpanRecord[]; logs: readonly LogRecord[] }> {
    const reply = await this.ask((id) => ({ type: 'trace', id, traceId }));
    return reply?.type === 'trace' ? reply : { spans: [], logs: [] };
  }

  /** Asks the process to close its server and flush, and waits up to 5 s before killing it. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.send({ type: 'stop' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  private settle(message: FromService): void {
    if (!('id' in message)) return;
    this.pending.get(message.id)?.(message);
    this.pending.delete(message.id);
  }

  private ask(build: (id: number) => ToService): Promise<FromService | undefined> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(undefined);
      }, 5000);
      this.pending.set(id, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      this.send(build(id));
    });
  }

  private send(message: ToService): void {
    if (!this.exited && this.child.connected) this.child.send(message);
  }
}
