/**
 * sightline's own diagnostics: silent unless enabled (`diagnostics` option or
 * `SIGHTLINE_DIAGNOSTICS=debug|info|warn|error`), each message key rate-limited so a failing
 * backend never turns into a log storm, and written to stderr, never through the user's logger.
 */
import { realNow } from '../internal/node-timers.js';

export type DiagLevel = 'debug' | 'info' | 'warn' | 'error' | 'none';

const RANK: Record<DiagLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, none: 100 };

export interface Diag {
  debug(key: string, message: string): void;
  info(key: string, message: string): void;
  warn(key: string, message: string): void;
  error(key: string, message: string): void;
  /** Reported at most once per process, whatever the level (still silent when level is 'none'). */
  once(key: string, message: string): void;
  readonly level: DiagLevel;
}

export type DiagWriter = (line: string) => void;

export interface DiagOptions {
  level: DiagLevel;
  /** Minimum interval between two reports of the same key. */
  intervalMs?: number;
  write?: DiagWriter;
  /** Monotonic clock in ms for the rate limit. Default `performance.now`. */
  now?: () => number;
}

const noop = () => {};

const stderrWriter: DiagWriter = (line) => {
  const stderr = process.stderr;
  try {
    stderr.write(`${line}\n`, (error) => {
      // A write that fails (a pipe whose reader has gone, a file on a full disk) is emitted as
      // stderr's 'error' next, which ends the process unless a listener stays for it: a stream
      // piped into stderr has one, but it lets go and emits the error again when it is alone.
      // One listener for that failure, as Node's console does, and the service's own still run.
      if (error && !stderr.listeners('error').includes(noop)) stderr.once('error', noop);
    });
  } catch {
    // stderr closed: nothing left to tell.
  }
};

export function createDiag(options: DiagOptions): Diag {
  const threshold = RANK[options.level];
  const intervalMs = options.intervalMs ?? 60_000;
  const write = options.write ?? stderrWriter;
  // Monotonic: NTP stepping the wall clock back must not mute a warning for as long as the step.
  const now = options.now ?? realNow;
  const lastAt = new Map<string, number>();
  const suppressed = new Map<string, number>();
  const seenOnce = new Set<string>();

  const emit = (level: Exclude<DiagLevel, 'none'>, key: string, message: string): void => {
    if (RANK[level] < threshold) return;
    const t = now();
    const last = lastAt.get(key);
    if (last !== undefined && t - last < intervalMs) {
      suppressed.set(key, (suppressed.get(key) ?? 0) + 1);
      return;
    }
    // The key map is bounded so a stream of distinct keys cannot grow it forever.
    if (lastAt.size > 1000) lastAt.clear();
    lastAt.set(key, t);
    const skipped = suppressed.get(key);
    suppressed.delete(key);
    const tail = skipped ? ` (${skipped} similar suppressed)` : '';
    write(`sightline ${level} ${key}: ${message}${tail}`);
  };

  return {
    level: options.level,
    debug: (k, m) => emit('debug', k, m),
    info: (k, m) => emit('info', k, m),
    warn: (k, m) => emit('warn', k, m),
    error: (k, m) => emit('error', k, m),
    once(key, message) {
      if (threshold >= RANK.none || seenOnce.has(key)) return;
      if (seenOnce.size > 1000) return;
      seenOnce.add(key);
      write(`sightline warn ${key}: ${message}`);
    },
  };
}

/** The diagnostics used before `init()` and by code that has no instance: off unless the env says so. */
export const silentDiag: Diag = createDiag({ level: 'none' });
