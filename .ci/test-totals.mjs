// Sums vitest JSON reports (one per Node version) and prints, as its last line, "N passed, N failed".
// Arguments: one `<label>:<exit code>:<report.json>` per run. A test file that failed outside any test
// (it did not load, or a hook threw), a file whose worker died (vitest reports it as passed, with its
// tests pending, or none when it died loading the file), a run that left no report, and a run that
// exited non-zero with no failure counted (an unhandled error) each count as one failure, so a broken
// run never reads green.
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';

let passed = 0;
let failed = 0;
for (const arg of process.argv.slice(2)) {
  const [label, code, ...rest] = arg.split(':');
  const file = rest.join(':');
  if (!existsSync(file)) {
    console.log(`${label}: no test report (exit code ${code}); counted as 1 failure`);
    failed += 1;
    continue;
  }
  const report = JSON.parse(readFileSync(file, 'utf8'));
  const brokenFiles = report.testResults.filter(
    (r) => r.status === 'failed' && !r.assertionResults.some((a) => a.status === 'failed'),
  );
  const crashedFiles = report.testResults.filter(
    (r) =>
      r.status === 'passed' &&
      (r.assertionResults.length === 0 || r.assertionResults.some((a) => a.status === 'pending')),
  );
  // Named here because only the end of CI's output may be kept: the failure must be findable from it.
  for (const r of report.testResults) {
    for (const a of r.assertionResults.filter((t) => t.status === 'failed')) {
      const why = (a.failureMessages?.[0] ?? '').split('\n')[0].slice(0, 300);
      console.log(`${label}: FAILED ${relative(process.cwd(), r.name)} > ${a.fullName}: ${why}`);
    }
  }
  for (const r of brokenFiles) {
    console.log(`${label}: ${r.name} failed outside any test: ${(r.message ?? '').split('\n')[0]}`);
  }
  for (const r of crashedFiles) {
    console.log(`${label}: ${r.name} did not finish: its worker exited before its tests reported`);
  }
  let runFailed = report.numFailedTests + brokenFiles.length + crashedFiles.length;
  if (runFailed === 0 && code !== '0') {
    console.log(`${label}: vitest exited with code ${code} (an error outside the tests; see its output)`);
    runFailed = 1;
  }
  console.log(`${label}: ${report.numPassedTests} passed, ${runFailed} failed`);
  passed += report.numPassedTests;
  failed += runFailed;
}
console.log(`${passed} passed, ${failed} failed`);
