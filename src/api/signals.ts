import type { SightlineInstance } from './sightline.js';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * On SIGTERM or SIGINT, flushes within the shutdown deadline, then lets the signal do what it
 * would have done: if nobody else listens, it is raised again so the process ends as usual.
 */
export function installSignalHandlers(instance: SightlineInstance): () => void {
  const handlers = new Map<NodeJS.Signals, () => void>();
  for (const signal of SIGNALS) {
    const handler = () => {
      void instance.shutdown().finally(() => {
        process.removeListener(signal, handler);
        if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
      });
    };
    handlers.set(signal, handler);
    process.once(signal, handler);
  }
  return () => {
    for (const [signal, handler] of handlers) process.removeListener(signal, handler);
  };
}

/**
 * Writes buffered log lines synchronously when the process exits, whatever the cause: a crash on an
 * uncaught exception exits without waiting for stdout's asynchronous writer, which holds the last
 * lines (often the ones that explain the crash).
 */
export function installExitFlush(instance: SightlineInstance): () => void {
  const onExit = () => instance.flushLogsSync();
  // First among the exit listeners: pino's own exit hook flushes the same writer synchronously
  // without waiting for the write in flight, which would then land after the crash's last lines.
  process.prependListener('exit', onExit);
  return () => {
    process.removeListener('exit', onExit);
  };
}
