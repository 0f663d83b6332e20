const EVENT_STREAM = /^\s*text\/event-stream\s*(?:;|$)/i;
// Node keeps the headers passed to writeHead() only in the head it wrote (Fastify passes its own so).
const EVENT_STREAM_HEAD = /\r\ncontent-type:[ \t]*text\/event-stream[ \t]*(?:;|\r\n)/i;

type ResponseLike = { getHeader?: (name: string) => unknown; _header?: unknown } | null | undefined;

/**
 * Whether a response went out as Server-Sent Events (`text/event-stream`): a stream with no end of
 * its own, which the client leaving ends as it should.
 */
export function isEventStream(res: unknown): boolean {
  const r = res as ResponseLike;
  try {
    const type = typeof r?.getHeader === 'function' ? r.getHeader('content-type') : undefined;
    if (typeof type === 'string') return EVENT_STREAM.test(type);
    const head = r?._header;
    return typeof head === 'string' && EVENT_STREAM_HEAD.test(head);
  } catch {
    return false;
  }
}
