import { type ClientRequest, validateHeaderName, validateHeaderValue } from 'node:http';

/** What node:http keeps of a request's head once it has written it out, and what it has yet to send. */
type HeadHolder = {
  _header?: unknown;
  _headerSent?: unknown;
  socket?: unknown;
  outputData?: Array<{ data?: unknown }>;
  outputSize?: number;
};

/**
 * The head of a request whose headers Node wrote out before any was sent: one that gives its
 * headers as a list, or sets `Expect` (`100-continue`), whose head Node writes out as it makes it,
 * or one ended before its connection was there, whose head (and body) Node queues to be sent once it
 * is. `setHeader` throws on such a request.
 */
export function unsentHead(request: ClientRequest): string | undefined {
  const r = request as unknown as HeadHolder;
  const head = r._header;
  if (typeof head !== 'string' || !head.endsWith('\r\n\r\n')) return undefined;
  if (r._headerSent === false) return head;
  const queued = r.outputData?.[0]?.data;
  return typeof queued === 'string' && queued.startsWith(head) ? head : undefined;
}

/** Whether the head has a field `name` (lower case). */
export function headHasField(head: string, name: string): boolean {
  return head.toLowerCase().includes(`\r\n${name}:`);
}

/** The trace fields a request has, as text. */
export interface TraceFields {
  traceparent: string | undefined;
  tracestate: string | undefined;
  baggage: string | undefined;
}

/**
 * The head's `traceparent`, `tracestate` and `baggage` fields, read in one pass, the values of a
 * field given more than once as one list joined by `separator`: `, ` as the server reads them.
 */
export function traceFieldsOfHead(head: string, separator = ','): TraceFields {
  const found: TraceFields = { traceparent: undefined, tracestate: undefined, baggage: undefined };
  const lines = head.split('\r\n');
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).toLowerCase();
    if (name !== 'traceparent' && name !== 'tracestate' && name !== 'baggage') continue;
    const value = line.slice(colon + 1).trim();
    const before = found[name];
    found[name] = before === undefined ? value : `${before}${separator}${value}`;
  }
  return found;
}

/** The head without its `name` fields (lower case). */
export function headWithout(head: string, name: string): string {
  if (!headHasField(head, name)) return head;
  return head
    .split('\r\n')
    .filter((line, i) => i === 0 || !line.toLowerCase().startsWith(`${name}:`))
    .join('\r\n');
}

/** A carrier gathering the fields a propagator sets, to be added to a written head. */
export type HeadFields = Array<[string, string]>;

export const headFieldsSetter = {
  set(carrier: HeadFields, key: string, value: string) {
    try {
      validateHeaderName(key);
      validateHeaderValue(key, value);
    } catch {
      return;
    }
    carrier.push([key, value]);
  },
};

/** Puts the head, with `fields` added after its own, back where the request will send it from. */
export function setHead(request: ClientRequest, head: string, fields: HeadFields): void {
  let added = '';
  for (const [key, value] of fields) added += `${key}: ${value}\r\n`;
  const r = request as unknown as HeadHolder;
  const written = r._header;
  // The head ends with the empty line that closes it.
  const amended = `${head.slice(0, -2)}${added}\r\n`;
  r._header = amended;
  // A head queued with a body given as text is queued with it, in one piece.
  const queued = r.outputData?.[0];
  if (
    r._headerSent === true &&
    typeof written === 'string' &&
    typeof queued?.data === 'string' &&
    queued.data.startsWith(written)
  ) {
    queued.data = amended + queued.data.slice(written.length);
    if (typeof r.outputSize === 'number') r.outputSize += amended.length - written.length;
  }
}
