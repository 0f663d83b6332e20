import { expect } from 'vitest';

/**
 * Microseconds of CPU this thread has run. Wall-clock time also counts the time the thread waits
 * while other processes have the machine's cores, which falls on long runs more than on short ones
 * (a run longer than the scheduler's slice is cut in two): on a busy machine, a CI runner running
 * two suites side by side, it doubled or tripled ratios that hold none. The count moves in steps of
 * up to a few milliseconds, the scheduler's tick, so each text is timed over 30 ms of runs.
 */
const cpuMicros = (): number => {
  const { user, system } = process.threadCpuUsage?.() ?? process.cpuUsage();
  return user + system;
};

/** CPU time a batch of runs of each text is given, in microseconds. */
const BATCH_MICROS = 10_000;

/**
 * How many times longer the second text takes to log than the first, in CPU time of this thread:
 * three batches of each, taken in turn after one of each unmeasured, so neither pays for the
 * code's first compile, each batch as many runs as fill 10 ms. For texts 16 times apart in
 * length, compare with 64: reading in linear time gives about 16, in quadratic time about 256. For
 * texts of one length, compare with 32: the readers these tests hold took a thousand times longer
 * on one than the other.
 */
export function growth(log: (text: string) => void, first: string, second: string): number {
  log(first);
  log(second);
  /** Runs `text` until a batch's CPU time is spent: the time and the runs it took. */
  const batch = (text: string) => {
    const started = cpuMicros();
    let runs = 0;
    let took = 0;
    do {
      log(text);
      runs++;
      took = cpuMicros() - started;
    } while (took < BATCH_MICROS);
    return { took, runs };
  };
  const each = [first, second].map(() => ({ took: 0, runs: 0 }));
  for (let round = 0; round < 3; round++) {
    for (const [i, text] of [first, second].entries()) {
      const { took, runs } = batch(text);
      const sum = each[i] as { took: number; runs: number };
      sum.took += took;
      sum.runs += runs;
    }
  }
  const [a, b] = each as [{ took: number; runs: number }, { took: number; runs: number }];
  return b.took / b.runs / (a.took / a.runs);
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
