/**
 * Runs the shipped anomaly detector, with shipped defaults, over a corpus in NAB layout and
 * writes NAB result files for `nab-score.mjs`.
 *
 *   npm run eval:nab -- --data <corpus>/data --out <dir> [--decision-out <dir>]
 *
 * For every `<data>/<category>/<file>.csv` (columns `timestamp,value`, timestamps
 * `YYYY-MM-DD HH:MM:SS` read as UTC) it writes:
 *   - `<out>/<category>/<file>.csv`: `timestamp,value,anomaly_score` with the continuous score;
 *   - `<decision-out>/<category>/<file>.csv` (default `<out>-decision`): the same rows with the
 *     detector's own decision (`anomaly` as 0/1) in `anomaly_score`; score it with `--threshold 0.5`.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDetector } from '../src/anomaly/index.js';

interface Args {
  data: string;
  out: string;
  decisionOut: string;
}

function parseArgs(argv: string[]): Args {
  let data = '';
  let out = '';
  let decisionOut = '';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1] ?? '';
    if (a === '--data' || a === '--out' || a === '--decision-out') {
      if (a === '--data') data = v;
      else if (a === '--out') out = v;
      else decisionOut = v;
      i++;
    } else if (a === '--help' || a === '-h') {
      console.log('usage: eval-nab --data <dir> --out <dir> [--decision-out <dir>]');
      process.exit(0);
    } else {
      console.error(`eval-nab: unknown argument ${a}`);
      process.exit(2);
    }
  }
  if (!data || !out) {
    console.error('eval-nab: --data <dir> and --out <dir> are required');
    process.exit(2);
  }
  return { data, out, decisionOut: decisionOut || `${out.replace(/[/\\]+$/, '')}-decision` };
}

/** `YYYY-MM-DD HH:MM:SS[.ffffff]` as UTC milliseconds, without Date string parsing. */
function parseTimestamp(s: string): number {
  const ms = Date.UTC(
    Number(s.slice(0, 4)),
    Number(s.slice(5, 7)) - 1,
    Number(s.slice(8, 10)),
    Number(s.slice(11, 13)),
    Number(s.slice(14, 16)),
    Number(s.slice(17, 19)),
  );
  return Number.isFinite(ms) ? ms : Date.parse(s);
}

function runFile(path: string): { scores: string; decisions: string; rows: number } {
  const lines = readFileSync(path, 'utf8').split(/\r?\n/);
  const detector = createDetector();
  const scoreOut: string[] = ['timestamp,value,anomaly_score'];
  const decisionOut: string[] = ['timestamp,value,anomaly_score'];
  let rows = 0;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.length === 0) continue;
    const comma = line.indexOf(',');
    const ts = line.slice(0, comma);
    const valueText = line.slice(comma + 1);
    const r = detector.update(Number(valueText), parseTimestamp(ts));
    scoreOut.push(`${ts},${valueText},${r.score.toFixed(6)}`);
    decisionOut.push(`${ts},${valueText},${r.anomaly ? 1 : 0}`);
    rows++;
  }
  return { scores: `${scoreOut.join('\n')}\n`, decisions: `${decisionOut.join('\n')}\n`, rows };
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const started = performance.now();
  let files = 0;
  let rows = 0;
  for (const category of readdirSync(args.data).sort()) {
    const dir = join(args.data, category);
    if (!statSync(dir).isDirectory()) continue;
    for (const file of readdirSync(dir).sort()) {
      if (!file.endsWith('.csv')) continue;
      const result = runFile(join(dir, file));
      for (const [root, body] of [
        [args.out, result.scores],
        [args.decisionOut, result.decisions],
      ] as const) {
        mkdirSync(join(root, category), { recursive: true });
        writeFileSync(join(root, category, file), body);
      }
      files++;
      rows += result.rows;
    }
  }
  const secs = (performance.now() - started) / 1000;
  console.log(
    `eval-nab: ${files} files, ${rows} rows in ${secs.toFixed(2)} s -> ${args.out}, ${args.decisionOut}`,
  );
}

main();
