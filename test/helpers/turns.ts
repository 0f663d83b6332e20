/**
 * Reads `read()` on every turn of the event loop until stopped: the values a counter took between
 * turns. Work done in one stretch shows as a jump with no value in between.
 *
 * @example
 * const seen = everyTurn(() => obs.stats().elastic?.metrics?.produced ?? 0);
 * await obs.forceFlush();
 * expect(seen.stop().some((n) => n > 0 && n < total)).toBe(true);
 */
export function everyTurn(read: () => number): { stop(): number[] } {
  const seen = new Set<number>();
  let watching = true;
  const watch = () => {
    seen.add(read());
    if (watching) setImmediate(watch);
  };
  watch();
  return {
    stop() {
      watching = false;
      return [...seen];
    },
  };
}
