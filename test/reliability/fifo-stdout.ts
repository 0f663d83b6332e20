import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';

export interface FifoChild {
  child: ChildProcess;
  /** The read end of the child's stdout, paused: the caller decides when and how fast it reads. */
  reader: Socket;
  /** Resolves once the child has exited and its stdout has ended, with its exit code and stderr. */
  ended: Promise<{ code: number | null; stderr: string }>;
}

export interface FifoOptions {
  /**
   * Runs the script built into one module, by Node alone, as a package runs: a TypeScript loader
   * hooked into Node's opens process.stdout, which puts the pipe in non-blocking mode.
   */
  built?: boolean;
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs a script whose stdout is a pipe (a FIFO, as a container runtime gives), not the socket Node's
 * spawn makes: its write end opened as they open it, in blocking mode, so writes to it fail with
 * EAGAIN while it is full only once the process has put it in non-blocking mode.
 */
export function spawnOnFifo(
  script: string,
  args: readonly string[] = [],
  options: FifoOptions = {},
): FifoChild {
  const dir = mkdtempSync(join(tmpdir(), 'sightline-pipe-'));
  const fifo = join(dir, 'stdout');
  execFileSync('mkfifo', [fifo]);
  const reader = new Socket({
    fd: openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK),
    writable: false,
  });
  reader.pause();
  const writeEnd = openSync(fifo, 'w');
  const child = options.built
    ? spawn(process.execPath, ['--input-type=module', '-', ...args], {
        stdio: ['pipe', writeEnd, 'pipe'],
        env: options.env,
      })
    : spawn(process.execPath, ['--import', 'tsx', script, ...args], {
        stdio: ['ignore', writeEnd, 'pipe'],
        env: options.env,
      });
  // Read from stdin, the module resolves its packages from the working directory.
  if (options.built) child.stdin?.end(buildModule(script));
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

/** The script and what it imports from the repository, as one module; packages stay imports. */
function buildModule(script: string): string {
  const built = buildSync({
    entryPoints: [script],
    bundle: true,
    format: 'esm',
    platform: 'node',
    packages: 'external',
    write: false,
  });
  return (built.outputFiles[0] as { text: string }).text;
}
