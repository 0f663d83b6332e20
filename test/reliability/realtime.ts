import { execFileSync } from 'node:child_process';

/**
 * Puts a process ahead of every ordinary process on the machine (Linux, `chrt`, needs CAP_SYS_NICE):
 * all its threads at SCHED_FIFO `level`. All of them, not the main thread alone: the main thread
 * waits on V8's GC helpers (spinning, at times), so helpers left below it were starved by the other
 * services' main threads and two services spun at 100% of a core each, never finishing a GC.
 *
 * Returns false (changing nothing) where that is not allowed or `chrt` is missing.
 */
export function raisePriority(pid: number | undefined, level: number): boolean {
  if (pid === undefined || process.platform !== 'linux') return false;
  try {
    execFileSync('chrt', ['--all-tasks', '--fifo', '--pid', String(level), String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
