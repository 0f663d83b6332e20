import { performance } from 'node:perf_hooks';
import timers from 'node:timers';

/**
 * Node's own timers, taken when sightline loads. A test suite's fake timers (`vi.useFakeTimers()`
 * replaces the global ones and `node:timers`' properties, Jest's the global ones) never fire until
 * the test moves its clock: a send to the backend deferred on them, or a flush deadline, would then
 * never come, and `await obs.shutdown()` would hang the test. Only waits on the outside world,
 * deadlines and callbacks owed to the caller use these; the periodic export and detection schedules
 * keep the global timers, which a test can drive.
 */
export const realSetTimeout = timers.setTimeout;
export const realClearTimeout = timers.clearTimeout;
export const realSetImmediate = timers.setImmediate;

/**
 * A monotonic clock in ms for deadlines. Fake timers replace `Date` and the global `performance`
 * with a clock that stands still until the test moves it: a deadline read from it would never
 * come closer, and a flush that follows another would wait its whole time again.
 */
export const realNow = (): number => performance.now();
