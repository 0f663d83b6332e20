import type { AdapterStats, SignalStats } from '../../src/index.js';
import type { Received } from './faulty-backend.js';

export const SIGNALS = ['traces', 'metrics', 'logs', 'events'] as const;

export function droppedTotal(s: SignalStats): number {
  let n = 0;
  for (const v of Object.values(s.dropped)) n += v ?? 0;
  return n;
}

/** Signals whose accounting does not balance: produced must equal delivered + dropped + queued. */
export function unbalanced(stats: AdapterStats): string[] {
  const bad: string[] = [];
  for (const signal of SIGNALS) {
    const s = stats[signal];
    if (s && s.produced !== s.delivered + droppedTotal(s) + s.queued)
      bad.push(`${signal}: ${JSON.stringify(s)}`);
  }
  return bad;
}

/** What the backend counted next to what sightline counted delivered, per signal. */
export function deliveredVsReceived(stats: AdapterStats, received: Received) {
  const out: Record<string, { delivered: number; received: number }> = {};
  for (const signal of SIGNALS)
    out[signal] = { delivered: stats[signal]?.delivered ?? 0, received: received[signal] };
  return out;
}

/** One line per signal: produced = delivered + dropped{reason} + queued. */
export function describeStats(stats: AdapterStats): string {
  return SIGNALS.flatMap((signal) => {
    const s = stats[signal];
    if (!s) return [];
    const reasons = Object.entries(s.dropped)
      .map(([r, n]) => `${r} ${n}`)
      .join(', ');
    return [
      `${signal}: produced ${s.produced} = delivered ${s.delivered} + dropped ${droppedTotal(s)}${reasons ? ` (${reasons})` : ''} + queued ${s.queued}`,
    ];
  }).join('\n');
}
