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
