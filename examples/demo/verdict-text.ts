/** The verdict as the terminal prints it at the end of a run. */
import { describe } from './live-view.js';
import type { RouteLoad } from './load.js';
import type { Scenario } from './scenario.js';
import type { Verdict } from './verdict.js';

export function printVerdict(
  out: { write(text: string): unknown },
  scenario: Scenario,
  verdict: Verdict,
  load: readonly RouteLoad[],
  wallS: number,
): void {
  const lines: string[] = ['', `verdict (scenario ${scenario.name}, ${wallS.toFixed(0)} s)`];
  for (const f of verdict.faults) {
    const first = f.alerts[0];
    lines.push(
      f.caught && first
        ? `  CAUGHT  ${f.fault.title}: after ${f.delayS?.toFixed(1)} s (${first.service} ${first.route} ${first.event.metric}, ${f.alerts.length} alert${f.alerts.length === 1 ? '' : 's'})`
        : `  MISSED  ${f.fault.title}`,
    );
  }
  lines.push(`  false alarms: ${verdict.unexplained.length}`);
  for (const a of verdict.unexplained) lines.push(`    ${a.t.toFixed(1)} s  ${describe(a)}`);
  const sent = load.reduce((n, r) => n + r.sent, 0);
  const non2xx = load.reduce((n, r) => n + r.non2xx, 0);
  lines.push(`  load: ${sent} requests sent, ${non2xx} answered non-2xx`);
  lines.push(verdict.allCaught ? 'every injected fault was caught' : 'some faults were missed');
  out.write(`${lines.join('\n')}\n`);
}
