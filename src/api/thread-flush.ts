import { randomUUID } from 'node:crypto';
import diagnosticsChannel from 'node:diagnostics_channel';
import { BroadcastChannel, isMainThread, threadId, type Worker } from 'node:worker_threads';
import { realClearTimeout, realNow, realSetTimeout } from '../internal/node-timers.js';

/**
 * Signals reach only the main thread, and a process ending by one ends its worker threads without
 * letting them flush. So the main thread's instance, as it handles a signal, asks the instances of
 * the process's worker threads to flush over this channel and waits for them within its deadline.
 * Messages go out at init(), shutdown and the signal only; nothing on the recording paths.
 */
const CHANNEL = 'sightline:thread-flush';

type Message =
  /** A worker thread's instance, which flushes when asked; `thread`: its threadId. */
  | { kind: 'join'; member: string; thread: number }
  | { kind: 'leave'; member: string }
  /** From the main thread's instance, started after those of the worker threads. */
  | { kind: 'roll-call' }
  /**
   * `drain`: the service drains and ends the process itself, so the thread sends what is queued
   * without waiting for the backend, as the main thread does; a copy of sightline that sends no
   * `drain` waits.
   */
  | { kind: 'flush'; timeoutMs: number; drain?: boolean }
  | { kind: 'flushed'; member: string }
  /** From a worker thread's instance as its shutdown begins. */
  | { kind: 'ending'; member: string }
  /** From a worker thread: a thread it started has ended. */
  | { kind: 'ended'; thread: number };

/**
 * Where the process's watch on its worker threads keeps the main thread's instances, told of each
 * worker thread that ends, by its threadId: on the channel, which is the process's, so every copy
 * of sightline shares one watch. A reset module registry (`vi.resetModules()`, a hot reload) loads
 * the package again, and Jest in a global object of each test file's own; a watch per copy would
 * add a listener to every thread started, and hold that copy's modules, for the process's life.
 */
const WATCH = Symbol.for('sightline.threadFlush.watchers.v1');

type Watchers = Set<(thread: number) => void>;

/**
 * A thread ended by `worker.terminate()` leaves without a word, and would keep a signal's flush
 * waiting to its deadline: the thread that started it says so as it ends. Watched from the time
 * sightline is loaded, so a worker started before the main thread's init() is seen too; a worker
 * thread passes on the end of those it starts, which the main thread does not see.
 */
function threadWatchers(): Watchers {
  const channel = diagnosticsChannel.channel('worker_threads') as unknown as Record<symbol, Watchers>;
  const shared = channel[WATCH];
  if (shared !== undefined) return shared;
  const watchers: Watchers = new Set();
  channel[WATCH] = watchers;
  diagnosticsChannel.subscribe('worker_threads', (created: unknown) => {
    const worker = (created as { worker?: Worker } | undefined)?.worker;
    // Read now: a worker that has ended reads -1.
    const thread = worker?.threadId;
    if (worker === undefined || thread === undefined) return;
    worker.once('exit', () => {
      for (const watch of watchers) watch(thread);
      if (isMainThread) return;
      const broadcast = new BroadcastChannel(CHANNEL);
      post(broadcast, { kind: 'ended', thread });
      broadcast.close();
    });
  });
  return watchers;
}

const watchers = threadWatchers();

/** How each instance of this thread leaves, when the thread ends without shutting them down. */
const leaving = new Set<() => void>();
const leaveAll = () => {
  for (const leave of leaving) leave();
};

/**
 * In a worker thread: flushes within the deadline the main thread's instance gives when it asks,
 * and tells it when done. The channel is unref'd, so it never keeps the worker alive. `ending`
 * tells the main thread's instance that the instance's shutdown begins; `close` leaves.
 */
export function flushWhenAsked(flush: (timeoutMs: number, drain: boolean) => Promise<void>): {
  ending(): void;
  close(): void;
} {
  // Unique across the copies of sightline a thread may load (its CommonJS and ES module builds).
  const member = randomUUID();
  const channel = new BroadcastChannel(CHANNEL);
  const join = () => post(channel, { kind: 'join', member, thread: threadId });
  // One flush at a time: a second request while one runs is answered when that one is done.
  let flushing: Promise<void> | undefined;
  channel.onmessage = (event: MessageEvent) => {
    const message = messageOf(event);
    if (message?.kind === 'roll-call') join();
    if (message?.kind !== 'flush' || flushing) return;
    flushing = flush(message.timeoutMs, message.drain === true).finally(() => {
      flushing = undefined;
      post(channel, { kind: 'flushed', member });
    });
  };
  channel.unref();
  // A thread ended by process.exit() or an uncaught exception shuts nothing down: it leaves here,
  // through one listener for all of the thread's instances.
  const leave = () => post(channel, { kind: 'leave', member });
  if (leaving.size === 0) process.on('exit', leaveAll);
  leaving.add(leave);
  join();
  return {
    ending: () => void post(channel, { kind: 'ending', member }),
    close: () => {
      leaving.delete(leave);
      if (leaving.size === 0) process.removeListener('exit', leaveAll);
      leave();
      channel.close();
    },
  };
}

/**
 * How long after a worker thread's instance has shut down a shutdown of the main thread's still
 * counts its deadline from the start of the thread's: long enough for the thread to end and the
 * main thread's event loop, which it held, to empty; a main thread that works on longer has all of
 * its own.
 */
const SHARED_FOR_MS = 1000;

/**
 * In the main thread: keeps the list of worker threads' instances, and flushes them on request.
 * A thread ended by `worker.terminate()` is taken off the list as the thread that started it sees
 * it end; only one started by a thread that had not loaded sightline yet keeps a flush waiting to
 * its deadline. `onEnding` is told of each instance whose shutdown begins, and answers whether a
 * shutdown of the main thread's may count its deadline from then.
 */
export function threadFlusher(onEnding: () => boolean): {
  flush(timeoutMs: number, drain: boolean): Promise<void>;
  /** When, on `realNow()`'s clock, the last of the threads' shutdowns that have just ended began. */
  sharedStart(): number | undefined;
  close(): void;
} {
  const members = new Map<string, number>();
  /** When the shutdowns under way began, by member. */
  const endings = new Map<string, number>();
  let ended: { at: number; start: number } | undefined;
  const channel = new BroadcastChannel(CHANNEL);
  let waiting: { members: Set<string>; done: () => void } | undefined;
  let flushing: Promise<void> | undefined;
  const answered = (member: string) => {
    if (waiting?.members.delete(member) && waiting.members.size === 0) waiting.done();
  };
  const gone = (member: string) => {
    members.delete(member);
    const start = endings.get(member);
    if (start !== undefined) {
      endings.delete(member);
      const at = realNow();
      const recent = ended !== undefined && at - ended.at <= SHARED_FOR_MS;
      ended = { at, start: recent ? Math.max(start, ended?.start ?? start) : start };
    }
    answered(member);
  };
  const threadEnded = (thread: number) => {
    for (const [member, t] of members) if (t === thread) gone(member);
  };
  channel.onmessage = (event: MessageEvent) => {
    const message = messageOf(event);
    if (message?.kind === 'join') members.set(message.member, message.thread);
    else if (message?.kind === 'leave') gone(message.member);
    else if (message?.kind === 'flushed') answered(message.member);
    else if (message?.kind === 'ended') threadEnded(message.thread);
    else if (message?.kind === 'ending' && members.has(message.member) && onEnding())
      endings.set(message.member, realNow());
  };
  channel.unref();
  watchers.add(threadEnded);
  post(channel, { kind: 'roll-call' });
  return {
    flush(timeoutMs, drain) {
      if (flushing) return flushing;
      // Their flush ends a little before this wait does, so their answers are not cut off.
      const margin = Math.min(50, timeoutMs / 10);
      if (members.size === 0 || !post(channel, { kind: 'flush', timeoutMs: timeoutMs - margin, drain }))
        return Promise.resolve();
      flushing = new Promise<void>((resolve) => {
        const timer = realSetTimeout(() => waiting?.done(), timeoutMs);
        timer.unref?.();
        waiting = {
          members: new Set(members.keys()),
          done: () => {
            realClearTimeout(timer);
            waiting = undefined;
            flushing = undefined;
            resolve();
          },
        };
      });
      return flushing;
    },
    sharedStart() {
      return ended !== undefined && realNow() - ended.at <= SHARED_FOR_MS ? ended.start : undefined;
    },
    close() {
      watchers.delete(threadEnded);
      // The instance shuts down as the signal ends the process: the threads' flush goes on.
      if (flushing) void flushing.finally(() => channel.close());
      else channel.close();
    },
  };
}

/**
 * In the main thread: asks the instances of the process's worker threads to flush, which pauses
 * their detectors for a drain, without waiting for them: a drain no signal tells of (a cluster
 * worker's disconnect).
 */
export function askThreadsToFlush(timeoutMs: number): void {
  // Called from a detection cycle, which must never throw.
  try {
    const channel = new BroadcastChannel(CHANNEL);
    post(channel, { kind: 'flush', timeoutMs, drain: true });
    channel.close();
  } catch {}
}

/** Posts the message unless the channel is closed (as its thread ends); whether it went. */
function post(channel: BroadcastChannel, message: Message): boolean {
  try {
    channel.postMessage(message);
    return true;
  } catch {
    return false;
  }
}

/** The message, or undefined when it is none of ours (another library on the same channel name). */
function messageOf(event: MessageEvent): Message | undefined {
  const data: unknown = event.data;
  if (typeof data !== 'object' || data === null || typeof (data as { kind?: unknown }).kind !== 'string')
    return;
  const message = data as Message;
  if (message.kind === 'flush')
    return typeof message.timeoutMs === 'number' && message.timeoutMs >= 0 ? message : undefined;
  if (message.kind === 'ended') return typeof message.thread === 'number' ? message : undefined;
  return message.kind === 'roll-call' || typeof message.member === 'string' ? message : undefined;
}
