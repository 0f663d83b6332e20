import type { ServerResponse } from 'node:http';

/**
 * The status a response went out with. `statusCode` still changes after that (an Express error
 * handler's `res.status(500)` on a response already answered, a Fastify `reply.code()` after
 * `reply.send()`), so it is read from what Node sent: the HTTP/1 status line (`HTTP/1.1 200 OK`),
 * or the `:status` of an HTTP/2 compatibility response's stream.
 */
export function sentStatus(res: ServerResponse): number {
  const head = (res as { _header?: unknown })._header;
  if (typeof head === 'string') {
    if (head.startsWith('HTTP/')) {
      const code = Number(head.slice(9, 12));
      if (code >= 100 && code <= 999) return code;
    }
  } else {
    const sent = (res as { stream?: { sentHeaders?: Record<string, unknown> } | null }).stream?.sentHeaders;
    const code = sent?.[':status'];
    if (typeof code === 'number') return code;
  }
  return res.statusCode;
}
