import cluster from 'node:cluster';
import { createHash, randomUUID } from 'node:crypto';
import { getEnvironmentData, isMainThread, setEnvironmentData } from 'node:worker_threads';

/**
 * The warnings a process gave, as `<pid>:<id> <code>:<digest> ...`. A `node:cluster` worker
 * inherits its primary's environment as it was at the fork: an app that calls init() before forking
 * gives its workers the configuration, and its warnings, that the primary gave already, which each
 * worker would repeat word for word.
 */
const GIVEN = 'SIGHTLINE_WARNINGS_GIVEN';

/**
 * The pid alone does not name the process that made a record: PID 1 in every container, an
 * environment dumped and loaded again, `process.execve`. A random id made once per process, shared
 * by the copies of sightline it loads, goes beside it.
 */
const ID = Symbol.for('sightline.warnings.processId.v1');
const shared = globalThis as unknown as Record<symbol, string | undefined>;
shared[ID] ??= `${process.pid}:${randomUUID()}`;
const processId = shared[ID];

/**
 * The id of the main thread's record, handed to the worker threads it starts (with a copy of its
 * environment, the record included): a thread pool whose entry calls init() runs its configuration
 * in each thread, which would repeat each of its warnings. A thread started by a main thread that
 * ran no sightline has none, and takes no record it finds for its own.
 */
const MAIN_THREAD_ID = 'sightline.warnings.mainThreadId.v1';
if (isMainThread) setEnvironmentData(MAIN_THREAD_ID, processId);
const mainThreadId = isMainThread ? undefined : getEnvironmentData(MAIN_THREAD_ID);

// A record this process did not make, found as sightline loads, would silence its workers for
// warnings it never gave. A worker thread may share the environment (SHARE_ENV): the main thread's.
if (isMainThread && !cluster.isWorker && process.env[GIVEN]?.split(' ')[0] !== processId)
  delete process.env[GIVEN];

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
  if (worker && given[0]?.split(':')[0] === String(process.ppid) && given.includes(key)) return;
  if (mainThreadId !== undefined && given[0] === mainThreadId && given.includes(key)) return;
  try {
    process.emitWarning(message, { code, type: 'SightlineWarning' });
  } catch {
    return;
  }
  if (worker || !isMainThread) return;
  const own = given[0] === processId ? given : [processId];
  if (own.length <= MAX_REMEMBERED && !own.includes(key)) process.env[GIVEN] = [...own, key].join(' ');
}
