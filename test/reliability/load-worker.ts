/**
 * Steady load from a process of its own, so the load generator's timing is not held up by the
 * telemetry backends the test runs (they parse every export body on the test's event loop):
 *
 *   fork('load-worker.ts') then send { id, targets: [{ port, framework }], rate, durationMs }
 *
 * and it answers { id, samples } with one SteadySample per target, all loaded at the same time.
 */
import type { Framework } from './service-process.js';
import { monotonicMs, type SteadyOptions, steadyLoad } from './steady-load.js';

interface Job extends SteadyOptions {
  id: number;
  targets: { port: number; framework: Framework }[];
}

process.on('message', async (job: Job) => {
  // One schedule for every target: request k is due at the same moment for all of them.
  const startAt = job.startAt ?? monotonicMs() + 20;
  const samples = await Promise.all(
    job.targets.map((t) => steadyLoad(t.port, t.framework, { ...job, startAt })),
  );
  process.send?.({ id: job.id, samples });
});
process.send?.({ ready: true });
