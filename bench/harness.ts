/** A small, dependency-free timing harness: rounds alternate the variants so drift hits all alike. */
export interface Case {
  name: string;
  /** Runs the operation `n` times. */
  run(n: number): void;
}

export interface Timing {
  name: string;
  nsPerOp: number;
}

/** The middle value (the upper one of an even count); NaN for none. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

function timeOnce(c: Case, n: number): number {
  const start = process.hrtime.bigint();
  c.run(n);
  return Number(process.hrtime.bigint() - start) / n;
}

/** Median ns/op over `rounds`, each case run `n` times per round, in alternating order. */
export function measure(cases: Case[], { n = 200_000, rounds = 7 } = {}): Timing[] {
  for (const c of cases) c.run(Math.min(n, 20_000)); // warm the JIT
  const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? cases : [...cases].reverse();
    for (const c of order) samples.get(c.name)?.push(timeOnce(c, n));
  }
  return cases.map((c) => ({ name: c.name, nsPerOp: median(samples.get(c.name) ?? []) }));
}

export interface Row {
  [column: string]: string | number;
}

export function printTable(title: string, rows: Row[]): void {
  console.log(`\n${title}`);
  console.table(rows);
}
