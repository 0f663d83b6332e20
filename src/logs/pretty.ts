import type { LogKeys } from '../export/types.js';
import { DEFAULT_LOG_KEYS } from './format.js';

const COLORS: Record<string, string> = {
  trace: '\x1b[90m',
  debug: '\x1b[36m',
  info: '\x1b[32m',
  warn: '\x1b[33m',
  error: '\x1b[31m',
  fatal: '\x1b[35m',
};
const RESET = '\x1b[0m';
const DIM = '\x1b[2m';
const QUIET = new Set([
  'service.name',
  'service.version',
  'deployment.environment.name',
  'trace_flags',
  'process.pid',
  'host.hostname',
]);

/**
 * One readable line for a person at a terminal; the JSON line is the source of truth. `keys` are
 * the line's own: an adapter's format names the level, time and message its way (Datadog's
 * `status` and `message`, Elastic's `log.level` and `@timestamp`).
 */
export function formatPretty(line: string, keys: LogKeys = DEFAULT_LOG_KEYS): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const { levelKey, timeKey, messageKey } = keys;
  const level = String(rec[levelKey] ?? 'info');
  const at = rec[timeKey];
  const time =
    typeof at === 'number'
      ? new Date(at).toISOString().slice(11, 23)
      : typeof at === 'string'
        ? at.slice(11, 23)
        : '';
  const color = COLORS[level] ?? '';
  let out = `${DIM}${time}${RESET} ${color}${level.toUpperCase().padEnd(5)}${RESET} ${String(rec[messageKey] ?? '')}`;
  const extras: string[] = [];
  for (const [k, v] of Object.entries(rec)) {
    if (
      k === levelKey ||
      k === timeKey ||
      k === messageKey ||
      QUIET.has(k) ||
      k === 'trace_id' ||
      k === 'span_id'
    )
      continue;
    extras.push(`${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  }
  if (extras.length > 0) out += ` ${DIM}${extras.join(' ')}${RESET}`;
  if (typeof rec.trace_id === 'string') out += ` ${DIM}trace=${rec.trace_id.slice(0, 8)}${RESET}`;
  return `${out}\n`;
}
