import { type EncodedBody, type LogKeys, lineTime } from '../../src/export/index.js';

/** PutLogEvents limits: 10,000 events; 1,048,576 bytes counted as message bytes plus 26 per event. */
export const PUT_LOG_EVENTS_MAX_ITEMS = 10_000;
export const PUT_LOG_EVENTS_MAX_BYTES = 1_048_576;
export const PUT_LOG_EVENTS_OVERHEAD = 26;
/** A batch may span at most 24 hours. */
export const PUT_LOG_EVENTS_MAX_SPAN_MS = 24 * 60 * 60 * 1000;

/** One CloudWatch Logs event. */
export interface LogEvent {
  readonly timestamp: number;
  readonly message: string;
}

/** Thrown by the encoder for a batch spanning more than 24 hours, so the core halves it. */
export class BatchSpanError extends Error {
  constructor() {
    super('log batch spans more than 24 hours');
    this.name = 'BatchSpanError';
  }
}

const TS_WIDTH = 24;

/**
 * Encodes a batch of log events, sorted by timestamp as PutLogEvents demands, one per line: the
 * timestamp padded to 24 digits, a space, the message, a newline. That is exactly 26 bytes beside
 * each message, so the body's size is PutLogEvents' own size measure and the core's byte limit
 * (1,048,576) cuts batches exactly where CloudWatch would. A batch spanning more than 24 hours throws
 * {@link BatchSpanError}, which makes the core send it in halves.
 *
 * @example
 * encodeLogEvents([{ timestamp: 2, message: 'b' }, { timestamp: 1, message: 'a' }]).body;
 * // '000000000000000000000001 a\n000000000000000000000002 b\n'
 */
export function encodeLogEvents(events: readonly LogEvent[]): EncodedBody {
  const sorted = [...events].sort((a, b) => a.timestamp - b.timestamp);
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  if (first && last && last.timestamp - first.timestamp > PUT_LOG_EVENTS_MAX_SPAN_MS)
    throw new BatchSpanError();
  let body = '';
  for (const e of sorted) {
    const ts = String(Math.max(0, Math.round(e.timestamp))).padStart(TS_WIDTH, '0');
    // JSON lines never hold a raw line break; a message that does keeps it escaped, one event per line.
    const message = /[\r\n]/.test(e.message)
      ? e.message.replace(/\r/g, '\\r').replace(/\n/g, '\\n')
      : e.message;
    body += `${ts} ${message}\n`;
  }
  return { body, contentType: 'text/plain; charset=utf-8' };
}

/** Reads a body made by {@link encodeLogEvents} back into PutLogEvents `logEvents`. */
export function decodeLogEvents(body: Uint8Array): LogEvent[] {
  const text = Buffer.from(body).toString('utf8');
  const out: LogEvent[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    out.push({ timestamp: Number(line.slice(0, TS_WIDTH)), message: line.slice(TS_WIDTH + 1) });
  }
  return out;
}

/** Estimated PutLogEvents size of one event, for pre-cutting batches. */
export function logEventSize(message: string): number {
  return Buffer.byteLength(message, 'utf8') + PUT_LOG_EVENTS_OVERHEAD;
}

/**
 * A log line as a CloudWatch Logs event: the line itself is the message, its time field the
 * timestamp (epoch ms or ISO, per the line shape sightline writes); a line without one is stamped now.
 *
 * @example
 * lineToLogEvent('{"level":"info","time":1700000000000,"msg":"hi"}', keys).timestamp; // 1700000000000
 */
export function lineToLogEvent(line: string, keys: LogKeys, now: () => number = Date.now): LogEvent {
  return { timestamp: lineTime(line, keys) ?? now(), message: line };
}

/**
 * Reads PutLogEvents' `rejectedLogEventsInfo`: how many events of a batch of `n` CloudWatch refused
 * for good (too new from `tooNewLogEventStartIndex` on; too old or expired before the exclusive end
 * indices). Those are not retried.
 *
 * @example
 * countRejected({ tooOldLogEventEndIndex: 2, tooNewLogEventStartIndex: 9 }, 10); // 3
 */
export function countRejected(info: Record<string, unknown> | undefined, n: number): number {
  if (!info) return 0;
  const index = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined);
  const tooOld = Math.max(index(info.tooOldLogEventEndIndex) ?? 0, index(info.expiredLogEventEndIndex) ?? 0);
  const newStart = index(info.tooNewLogEventStartIndex);
  const tooNew = newStart === undefined ? 0 : Math.max(0, n - newStart);
  return Math.min(n, Math.min(tooOld, n) + tooNew);
}
