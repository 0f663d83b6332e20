import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'sightline-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `npm run demo`'s entry point as a user would, with stdout a pipe (plain mode). */
function runDemo(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'examples/demo/index.ts', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const count = (html: string, pattern: RegExp) => html.match(pattern)?.length ?? 0;

describe('npm run demo -- --scenario quick', () => {
  // The 41 s scenario, up to 10 s more while a fault waits for the detector, and start-up.
  it('catches the three injected faults and writes a report with charts, markers and a waterfall', async () => {
    const report = join(dir, 'report.html');
    const { code, stdout, stderr } = await runDemo(['--scenario', 'quick', '--report', report]);

    // The verdict, in plain mode: one line per fault, each caught, and exit code 0.
    expect(stdout, stderr).toMatch(/CAUGHT {2}Latency regression/);
    expect(stdout).toMatch(/CAUGHT {2}Error burst/);
    expect(stdout).toMatch(/CAUGHT {2}Traffic drop/);
    expect(stdout).toContain('every injected fault was caught');
    expect(code).toBe(0);
    // Plain mode: no cursor movement, and each fault switch and anomaly on its own line.
    expect(stdout).not.toContain('\x1b[');
    expect(stdout).toMatch(/^\d+:\d\d {2}fault on: Latency regression/m);
    expect(stdout).toMatch(/^\d+:\d\d {2}ANOMALY /m);

    const html = readFileSync(report, 'utf8');
    expect(html).toContain('data-verdict="pass"');
    expect(count(html, /data-fault-verdict="[a-z-]+" data-caught="true"/g)).toBe(3);
    // Five routes (three on the checkout API, two on the inventory API), three series each.
    expect(count(html, /<figure class="chart" data-series=/g)).toBe(15);
    expect(count(html, /<circle data-marker/g)).toBeGreaterThanOrEqual(3);
    expect(count(html, /<tr data-anomaly/g)).toBe(count(html, /<circle data-marker/g));
    // One trace across both processes, with the injected latency named in it.
    expect(html).toMatch(/data-waterfall="[0-9a-f]{32}"/);
    expect(html).toMatch(/data-span data-service="checkout-api" data-kind="server"/);
    expect(html).toMatch(/data-span data-service="checkout-api" data-kind="client"/);
    expect(html).toMatch(/data-span data-service="inventory-api" data-kind="server"/);
    expect(html).toContain('demo.injected-latency');
    expect(count(html, /<li data-log/g)).toBeGreaterThan(0);
    // Self-contained: nothing fetched from anywhere.
    expect(html).not.toMatch(/<script|<link|src="http|href="http/);
  }, 110_000);

  it('rejects an unknown scenario with a usage message and exit code 2', async () => {
    const { code, stderr } = await runDemo(['--scenario', 'nope', '--no-report']);
    expect(code).toBe(2);
    expect(stderr).toContain('unknown scenario "nope"');
    expect(stderr).toContain('--scenario <name>');
  });

  it('rejects an unknown option with a usage message and exit code 2, not a stack trace', async () => {
    const { code, stderr } = await runDemo(['--no-reports']);
    expect(stderr).toContain("Unknown option '--no-reports'");
    expect(stderr).toContain('--scenario <name>');
    expect(stderr).not.toContain('    at ');
    expect(code).toBe(2);
  });
});
