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
 * The head of a request whose headers Node wrote out as it made it, before any was sent: one that
 * gives its headers as a list, or sets `Expect` (`100-continue`), whose head Node also queues to be
 * sent once the connection is there. `setHeader` throws on such a request.
 */
export function unsentHead(request: ClientRequest): string | undefined {
  const r = request as unknown as HeadHolder;
  const head = r._header;
  if (typeof head !== 'string' || !head.endsWith('\r\n\r\n')) return undefined;
  if (r._headerSent === false) return head;
  return r.socket == null && r.outputData?.[0]?.data === head ? head : undefined;
}

/** Whether the head has a field `name` (lower case). */
export function headHasField(head: string, name: string): boolean {
  return head.toLowerCase().includes(`\r\n${name}:`);
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
  const queued = r.outputData?.[0];
  if (r._headerSent === true && queued !== undefined && queued.data === written) {
    queued.data = amended;
    if (typeof r.outputSize === 'number') r.outputSize += amended.length - (written as string).length;
  }
}
