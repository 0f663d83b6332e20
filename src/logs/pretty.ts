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
  'level',
  'time',
  'msg',
  'service.name',
  'service.version',
  'deployment.environment.name',
  'trace_flags',
]);

/** One readable line for a person at a terminal; the JSON line is the source of truth. */
export function formatPretty(line: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const level = String(rec.level ?? 'info');
  const time = typeof rec.time === 'number' ? new Date(rec.time).toISOString().slice(11, 23) : '';
  const color = COLORS[level] ?? '';
  let out = `${DIM}${time}${RESET} ${color}${level.toUpperCase().padEnd(5)}${RESET} ${String(rec.msg ?? '')}`;
  const extras: string[] = [];
  for (const [k, v] of Object.entries(rec)) {
    if (QUIET.has(k) || k === 'trace_id' || k === 'span_id') continue;
    extras.push(`${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  }
  if (extras.length > 0) out += ` ${DIM}${extras.join(' ')}${RESET}`;
  if (typeof rec.trace_id === 'string') out += ` ${DIM}trace=${rec.trace_id.slice(0, 8)}${RESET}`;
  return `${out}\n`;
}
