import type { LogKeys } from './types.js';

/** How far before and after the wall clock a backend takes an item's timestamp, in ms. */
export interface TimeWindow {
  readonly pastMs: number;
  readonly aheadMs: number;
}

/** Whether `timeMs` (epoch ms) is outside the window around `nowMs`. */
export function outsideWindow(timeMs: number, nowMs: number, window: TimeWindow): boolean {
  return timeMs < nowMs - window.pastMs || timeMs > nowMs + window.aheadMs;
}

// The time key as it opens its field in a line, and the key it was made from: a process reads
// every line it ships with the same key, and quoting it cost about 50 ns a line.
let markerKey: string | undefined;
let lastMarker = '';

function timeMarker(timeKey: string): string {
  if (timeKey !== markerKey) {
    lastMarker = `${JSON.stringify(timeKey)}:`;
    markerKey = timeKey;
  }
  return lastMarker;
}

/**
 * The time of a log line sightline wrote, in epoch ms, read from its time field (epoch ms or ISO,
 * per the line shape); `undefined` for a line without one.
 *
 * @example
 * lineTime('{"level":"info","time":1700000000000,"msg":"hi"}', keys); // 1700000000000
 */
export function lineTime(line: string, keys: LogKeys): number | undefined {
  // pino writes the time right after the level, ahead of any user field, so the first match is it.
  const marker = timeMarker(keys.timeKey);
  const at = line.indexOf(marker);
  if (at < 0) return undefined;
  const rest = line.slice(at + marker.length, at + marker.length + 40);
  let timestamp = Number.NaN;
  if (keys.timeFormat === 'iso') {
    const m = /^"([^"]+)"/.exec(rest);
    if (m?.[1]) timestamp = Date.parse(m[1]);
  } else {
    const m = /^(\d+(?:\.\d+)?)/.exec(rest);
    if (m?.[1]) timestamp = Number(m[1]);
  }
  return Number.isFinite(timestamp) ? Math.round(timestamp) : undefined;
}

/**
 * A channel's `expired` hook for log lines a backend takes only within `window` of its clock: a
 * line held through an outage or a paused process is dropped as `expired` rather than sent to be
 * refused or silently lost. `keys` is read when asked, as the line shape is only known once every
 * adapter is set up; a line without a time is stamped on arrival by the backend, so it never expires.
 */
export function lineExpired(
  window: TimeWindow,
  keys: () => LogKeys,
): (item: { readonly line: string }, nowMs: number) => boolean {
  return (item, nowMs) => {
    const time = lineTime(item.line, keys());
    return time !== undefined && outsideWindow(time, nowMs, window);
  };
}
