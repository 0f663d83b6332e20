/**
 * A service with a pool of worker threads, the main thread and each worker running sightline with
 * handleSignals on, each counting a series of its own: main.hits, thread.hits. argv: <collector
 * url> <pool|terminated|return>. `pool`: one worker waits for tasks, as a pool's do; `terminated`:
 * before it, another worker (counting gone.hits) is ended by worker.terminate(), as a pool ends
 * an idle one; `early`: as `terminated`, with that worker started before the main thread's init();
 * `nested`: the worker itself starts one (counting gone.hits) and ends it by worker.terminate();
 * `return`: the worker and the main thread return; `graceful`: the worker is busy for a while when
 * the signal comes, and the service's own SIGTERM handler awaits obs.shutdown() and calls
 * process.exit(); `drained`: the service's own SIGTERM handler drains it, telling the worker to stop,
 * which then records drain.hits and leaves its event loop empty (written `thread ended` on stderr as
 * it ends); `drained-shutdown`: as `drained`, the handler then awaiting the worker's end and
 * obs.shutdown(), and calling process.exit(); `late`: the
 * service's own SIGTERM handler has the worker record late.hits during the drain (a request still
 * in flight), then awaits obs.shutdown() and calls process.exit(). Writes
 * `ready` on stderr once the workers have recorded. shutdownTimeout: 2 s, or 10 s when a worker is
 * ended (`terminated`, `early`, `nested`).
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { otlp } from '../../adapters/otlp/index.js';
import { init } from '../../src/index.js';

const [url = '', how = 'pool'] = process.argv.slice(2);
const ended = how === 'terminated' || how === 'early' || how === 'nested';
const start = (series: string) =>
  new Worker(new URL(import.meta.url), { argv: [url, how], workerData: series });
const early = isMainThread && how === 'early' ? start('gone.hits') : undefined;
const obs = init({
  service: 'pool',
  exporters: [otlp({ url, protocol: 'http/json', env: {} })],
  logStream: { write: () => {} },
  handleSignals: true,
  shutdownTimeout: ended ? 10_000 : 2000,
  metricInterval: 3_600_000,
  outbound: false,
  anomaly: false,
});
if (isMainThread) {
  obs.metrics.counter('main.hits').add(1);
  const pool = () => {
    const worker = start('thread.hits');
    if (how === 'drained' || how === 'drained-shutdown') {
      worker.once('exit', () => process.stderr.write('thread ended\n'));
      process.on('SIGTERM', async () => {
        worker.postMessage('stop');
        if (how === 'drained') return;
        await new Promise((r) => worker.once('exit', r));
        await obs.shutdown();
        process.exit(0);
      });
    }
    if (how === 'late')
      process.on('SIGTERM', async () => {
        await new Promise((r) => setTimeout(r, 300));
        worker.postMessage('late');
        await new Promise((r) => worker.once('message', r));
        await obs.shutdown();
        process.exit(0);
      });
    worker.once('message', () => {
      if (how === 'graceful') worker.postMessage('busy');
      process.stderr.write('ready\n');
    });
  };
  if (how === 'graceful')
    process.on('SIGTERM', async () => {
      await obs.shutdown();
      process.exit(0);
    });
  if (how === 'terminated' || how === 'early') {
    const idle = early ?? start('gone.hits');
    idle.once('message', () => void idle.terminate().then(pool));
  } else pool();
} else {
  obs.metrics.counter(workerData as string).add(1);
  if (how === 'nested' && workerData === 'thread.hits') {
    const inner = start('gone.hits');
    await new Promise((r) => inner.once('message', r));
    await inner.terminate();
  }
  if (how === 'drained' || how === 'drained-shutdown')
    parentPort?.on('message', () => {
      obs.metrics.counter('drain.hits').add(1);
      parentPort?.close();
    });
  else if (how === 'late')
    parentPort?.on('message', () => {
      obs.metrics.counter('late.hits').add(1);
      parentPort?.postMessage('recorded');
    });
  else if (how !== 'return')
    parentPort?.on('message', () => {
      // A task under way: the flush the signal asks for waits for it.
      for (const until = Date.now() + 600; Date.now() < until; );
    });
  parentPort?.postMessage('recorded');
}
