/**
 * Judges a run: each injected fault is caught when an alert fires on a series it moves, between
 * its start and a short grace after its end; every other alert is a false alarm.
 */
import type { Alert } from './recorder.js';
import type { FaultSpec, Scenario } from './scenario.js';

export interface FaultVerdict {
  readonly fault: FaultSpec;
  readonly caught: boolean;
  /** Seconds from the fault's start to its first alert. */
  readonly delayS: number | undefined;
  readonly alerts: readonly Alert[];
}

export interface Verdict {
  readonly faults: readonly FaultVerdict[];
  /** Alerts that no injected fault explains. */
  readonly unexplained: readonly Alert[];
  readonly allCaught: boolean;
}

/** Seconds after a fault ends during which its alerts still count (recovery, late cycles). */
export function graceS(scenario: Scenario): number {
  return Math.max(2, (4 * scenario.intervalMs) / 1000);
}

export function explains(fault: FaultSpec, alert: Alert, grace: number): boolean {
  if (alert.t < fault.startS || alert.t > fault.endS + grace) return false;
  return fault.affects.some(
    (s) => s.service === alert.service && s.metric === alert.event.metric && s.route === alert.route,
  );
}

/**
 * @example
 * const v = judge(scenario, recorder.alerts);
 * process.exitCode = v.allCaught ? 0 : 1;
 */
export function judge(scenario: Scenario, alerts: readonly Alert[]): Verdict {
  const grace = graceS(scenario);
  const explained = new Set<Alert>();
  const faults = scenario.faults.map((fault) => {
    const mine = alerts.filter((a) => explains(fault, a, grace));
    for (const a of mine) explained.add(a);
    const first = mine[0];
    return {
      fault,
      caught: first !== undefined,
      delayS: first !== undefined ? Math.max(0, first.t - fault.startS) : undefined,
      alerts: mine,
    };
  });
  return {
    faults,
    unexplained: alerts.filter((a) => !explained.has(a)),
    allCaught: faults.every((f) => f.caught),
  };
}
