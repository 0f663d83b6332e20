import { isMainThread } from 'node:worker_threads';
import type { SightlineInstance } from './sightline.js';
import { threadFlusher } from './thread-flush.js';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * On SIGTERM or SIGINT, flushes within the shutdown deadline, then lets the signal do what it
 * would have done: if nobody else handles it, it is raised again so the process ends as usual. A
 * second signal during the flush ends the process at once, as the first would have.
 *
 * When the service handles the signal too, its own graceful shutdown is in charge (requests in
 * flight finish, connections drain): shutting down at the signal would drop the telemetry of that
 * very drain. Then what is queued is flushed at once, and sightline shuts down when the drained
 * process is about to end, as any process ending on its own does (natural-exit.ts).
 *
 * Either way the instances of the process's worker threads, which no signal reaches, flush too;
 * when the signal is to end the process, it waits for them within the same deadline.
 */
export function installSignalHandlers(instance: SightlineInstance): () => void {
  const handlers = new Map<NodeJS.Signals, () => void>();
  let draining = false;
  // A worker thread shutting down in a drain holds the process until its deadline, from whose start
  // the main thread's shutdown then counts its own: what the main thread queued goes out meanwhile.
  // Out of a drain nothing of the main thread's goes out then, and its shutdown has all of its own:
  // a slow backend the thread's waited for would leave it too little.
  const threads = isMainThread
    ? threadFlusher(() => {
        if (draining) void instance.flushWithoutWaiting();
        return draining;
      })
    : undefined;
  if (threads) instance.shareShutdownStart(() => threads.sharedStart());
  let threadsFlushed: Promise<void> | undefined;
  const flushThreads = (drain: boolean) => {
    threadsFlushed = threads?.flush(instance.config.shutdownTimeout, drain);
    return threadsFlushed;
  };
  // The service's own handler may end the process once shutdown() is done: not before them. The
  // flush a drain asked of them sent without waiting, so a shutdown within the drain (a handler
  // that awaits it, then calls process.exit()) asks them for one that waits.
  instance.awaitAtShutdown(() =>
    draining ? Promise.resolve(threadsFlushed).then(() => flushThreads(false)) : threadsFlushed,
  );
  for (const signal of SIGNALS) {
    let flushing = false;
    const handler = () => {
      if (flushing) return endAsUsual(signal, handler);
      if (othersHandle(signal)) {
        // The drain hands the traffic to other replicas: falling to nothing, it is no outage. Each
        // signal pauses again: the process may have run on past the one before.
        instance.anomalyEngine?.pauseForDrain(`the service handles ${signal}, which may begin a drain`);
        if (draining) return;
        draining = true;
        void instance.flushWithoutWaiting();
        void flushThreads(true);
        return;
      }
      flushing = true;
      // Registered until the flush is done: a listener that only re-raises the signal once it is
      // alone (signal-exit's) would otherwise end the process before the flush.
      void Promise.all([instance.shutdown(), flushThreads(false)]).finally(() => endAsUsual(signal, handler));
    };
    handlers.set(signal, handler);
    // First, so it sees every listener of the service: a `process.once` one registered before
    // init() is gone by the time a listener behind it runs, and the service's drain would look
    // like nobody's, ended by the signal raised again.
    process.prependListener(signal, handler);
  }
  return () => {
    for (const [signal, handler] of handlers) process.removeListener(signal, handler);
    threads?.close();
  };
}

/** Whether a listener besides sightline's own and signal-exit's handles the signal. */
function othersHandle(signal: NodeJS.Signals): boolean {
  return process.listenerCount(signal) - 1 > signalExitListeners();
}

/**
 * Removes sightline's listener and raises the signal again unless another listener handles it.
 * signal-exit's listeners (execa, write-file-atomic and many more load it) do not count: they
 * stand aside while any other listener is there and end the process themselves once alone.
 */
function endAsUsual(signal: NodeJS.Signals, handler: () => void): void {
  process.removeListener(signal, handler);
  if (process.listenerCount(signal) <= signalExitListeners()) process.kill(process.pid, signal);
}

/**
 * How many listeners signal-exit keeps on each signal, one per loaded copy: v4 counts them on a
 * global emitter, v3 on one kept on `process`, and v4 adds v3's count as this does.
 */
function signalExitListeners(): number {
  type Emitter = { count?: unknown } | undefined;
  const v4 = (globalThis as unknown as Record<symbol, Emitter>)[Symbol.for('signal-exit emitter')];
  const v3 = (process as unknown as { __signal_exit_emitter__?: Emitter }).__signal_exit_emitter__;
  const count = (e: Emitter) => (typeof e?.count === 'number' ? e.count : 0);
  return count(v4) + count(v3);
}

/**
 * Writes buffered log lines synchronously when the process exits, whatever the cause: a crash on an
 * uncaught exception exits without waiting for stdout's asynchronous writer, which holds the last
 * lines (often the ones that explain the crash).
 */
export function installExitFlush(instance: SightlineInstance): () => void {
  const onExit = () => instance.flushLogsSync(true);
  // First among the exit listeners: pino's own exit hook flushes the same writer synchronously
  // without waiting for the write in flight, which would then land after the crash's last lines.
  process.prependListener('exit', onExit);
  return () => {
    process.removeListener('exit', onExit);
  };
}
