import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * Puts a process and its children ahead of every ordinary process on the machine (Linux, `chrt`,
 * needs CAP_SYS_NICE): all their threads at SCHED_RR `level`. All of them: a raised thread that
 * waits for another by spinning or yielding (V8's GC helpers, tsx's transform process) leaves no CPU
 * to anything below it, and two services spun at 90% of a core each, never to finish. Round-robin,
 * not FIFO: under FIFO a spinning main thread also kept its own helpers, at the same priority, off
 * both cores; round-robin takes the core from it after its time slice.
 *
 * Returns false where that is not allowed or `chrt` is missing.
 */
export function raisePriority(pid: number | undefined, level: number): boolean {
  if (pid === undefined || process.platform !== 'linux') return false;
  try {
    for (const p of [pid, ...descendants(pid)])
      execFileSync('chrt', ['--all-tasks', '--rr', '--pid', String(level), String(p)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function descendants(pid: number): number[] {
  let children: number[];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .split(' ')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
  return children.flatMap((c) => [c, ...descendants(c)]);
}
