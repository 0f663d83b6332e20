import { expect } from 'vitest';

/**
 * How many times longer the second text takes to log than the first: the fastest of five runs of
 * each, taken in turn after one of each unmeasured, so neither pays for the code's first compile
 * and a busy machine's pause falls on a run, not on the figure. For texts 16 times apart in length,
 * compare with 64: reading in linear time gives about 16, in quadratic time about 256, and a machine
 * busy with other work, slowing the longer text's runs more (its collections), has given twice 16.
 * For texts of one length, compare with 32: the readers these tests hold took a thousand times
 * longer on one than the other, and a busy machine has given 20.
 */
export function growth(log: (text: string) => void, first: string, second: string): number {
  log(first);
  log(second);
  const fastest = [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY];
  for (let run = 0; run < 5; run++) {
    for (const [i, text] of [first, second].entries()) {
      const started = performance.now();
      log(text);
      fastest[i] = Math.min(fastest[i] as number, performance.now() - started);
    }
  }
  return (fastest[1] as number) / (fastest[0] as number);
}

/**
 * Logs 200 KB of each part written over and over, and asserts it takes under a second and grows
 * against 12.5 KB of it, 16 times shorter, as reading in linear time does (see {@link growth}).
 */
export function expectLinear(
  log: (text: string) => void,
  parts: readonly string[],
  textOf = (part: string, kb: number) => part.repeat((kb * 1000) / part.length),
): void {
  for (const part of parts) {
    const started = performance.now();
    log(textOf(part, 200));
    expect(performance.now() - started, part).toBeLessThan(1000);
    expect(growth(log, textOf(part, 12.5), textOf(part, 200)), part).toBeLessThan(64);
  }
}
