import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FifoChild {
  child: ChildProcess;
  /** The read end of the child's stdout, paused: the caller decides when and how fast it reads. */
  reader: Socket;
  /** Resolves once the child has exited and its stdout has ended, with its exit code and stderr. */
  ended: Promise<{ code: number | null; stderr: string }>;
}

/**
 * Runs a script whose stdout is a pipe (a FIFO, as a container runtime gives), not the socket Node's
 * spawn makes: writes to it fail with EAGAIN while it is full.
 */
export function spawnOnFifo(script: string, args: readonly string[] = []): FifoChild {
  const dir = mkdtempSync(join(tmpdir(), 'sightline-pipe-'));
  const fifo = join(dir, 'stdout');
  execFileSync('mkfifo', [fifo]);
  const reader = new Socket({
    fd: openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK),
    writable: false,
  });
  reader.pause();
  const writeEnd = openSync(fifo, 'w');
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    stdio: ['ignore', writeEnd, 'pipe'],
  });
  closeSync(writeEnd);
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const ended = Promise.all([
    new Promise<number | null>((resolve) => child.on('exit', resolve)),
    new Promise((resolve) => reader.on('end', resolve)),
  ]).then(([code]) => {
    rmSync(dir, { recursive: true, force: true });
    return { code, stderr };
  });
  return { child, reader, ended };
}

/** Reads the pipe at `bytesPerMs` at most, handing each chunk read to `onData`. */
export function readPaced(reader: Socket, bytesPerMs: number, onData: (chunk: Buffer) => void): void {
  reader.on('data', (chunk: Buffer) => {
    onData(chunk);
    reader.pause();
    setTimeout(() => reader.resume(), chunk.length / bytesPerMs);
  });
}
