import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * Puts a process and its children ahead of every ordinary process on the machine (Linux, `chrt`,
 * needs CAP_SYS_NICE): all their threads at SCHED_FIFO `level`. All of them: a raised thread that
 * waits for another by yielding the CPU (V8's GC helpers, tsx's transform process) only yields to
 * threads of its own priority, so anything left below spun it at 100% of a core, never to finish.
 *
 * Returns false where that is not allowed or `chrt` is missing.
 */
export function raisePriority(pid: number | undefined, level: number): boolean {
  if (pid === undefined || process.platform !== 'linux') return false;
  try {
    for (const p of [pid, ...descendants(pid)])
      execFileSync('chrt', ['--all-tasks', '--fifo', '--pid', String(level), String(p)], { stdio: 'ignore' });
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
