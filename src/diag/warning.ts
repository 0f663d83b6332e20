import cluster from 'node:cluster';
import { createHash } from 'node:crypto';

/**
 * The warnings a process gave, as `<pid> <code>:<digest> ...`. A `node:cluster` worker inherits its
 * primary's environment as it was at the fork: an app that calls init() before forking gives its
 * workers the configuration, and its warnings, that the primary gave already, which each worker
 * would repeat word for word.
 */
const GIVEN = 'SIGHTLINE_WARNINGS_GIVEN';

/** Enough for every warning a misconfigured app gives; one past it is given, not remembered. */
const MAX_REMEMBERED = 64;

/**
 * Gives a process warning of sightline's (`SLWRN*`), unless this is a cluster worker whose primary
 * gave the same one before forking it. A patched `emitWarning` that throws costs the warning alone.
 */
export function warn(code: string, message: string): void {
  const key = `${code}:${createHash('sha256').update(message).digest('base64url').slice(0, 16)}`;
  const given = (process.env[GIVEN] ?? '').split(' ');
  const worker = cluster.isWorker;
  if (worker && given[0] === String(process.ppid) && given.includes(key)) return;
  try {
    process.emitWarning(message, { code, type: 'SightlineWarning' });
  } catch {
    return;
  }
  if (worker) return;
  const own = given[0] === String(process.pid) ? given : [String(process.pid)];
  if (own.length <= MAX_REMEMBERED && !own.includes(key)) process.env[GIVEN] = [...own, key].join(' ');
}
