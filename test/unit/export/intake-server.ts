import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** One request as the loopback intake saw it, body already gunzipped. */
export interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** Decompressed body text. */
  readonly text: string;
  /** Bytes on the wire. */
  readonly wireBytes: number;
  readonly at: number;
}

/** How the intake answers one request. */
export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Answer after this many ms. */
  delayMs?: number;
  /** Never answer (until the server closes). */
  hang?: boolean;
  /** Send the status line and part of the body, then destroy the socket. */
  destroyMidResponse?: boolean;
}

export type Responder = (req: Received, index: number) => Reply;

/** A loopback HTTP server speaking a scripted intake API. */
export interface Intake {
  readonly url: string;
  readonly requests: Received[];
  respond(responder: Responder): void;
  /** Resolves once `n` requests have arrived. */
  waitForRequests(n: number): Promise<void>;
  close(): Promise<void>;
}

/** `tls` serves HTTPS with that key and certificate instead of plain HTTP. */
export async function startIntake(
  responder: Responder = () => ({ status: 200 }),
  port = 0,
  tls?: { key: Buffer; cert: Buffer },
): Promise<Intake> {
  let current = responder;
  const requests: Received[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const pending = new Set<ServerResponse>();
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const text = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
      const received: Received = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        text,
        wireBytes: raw.byteLength,
        at: Date.now(),
      };
      requests.push(received);
      for (const w of [...waiters]) {
        if (requests.length >= w.n) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
      const reply = current(received, requests.length - 1);
      if (reply.hang) {
        pending.add(res);
        return;
      }
      const send = () => {
        if (reply.destroyMidResponse) {
          res.writeHead(reply.status ?? 200, { 'content-length': '1000' });
          res.write('{"partial":');
          setImmediate(() => res.socket?.destroy());
          return;
        }
        res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
        res.end(reply.body ?? '{}');
      };
      if (reply.delayMs) setTimeout(send, reply.delayMs);
      else send();
    });
  };
  const server: Server = tls ? createTlsServer(tls, handle) : createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const address = server.address() as AddressInfo;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${address.port}`,
    requests,
    respond(r) {
      current = r;
    },
    waitForRequests(n) {
      if (requests.length >= n) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
    async close() {
      for (const res of pending) res.socket?.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Asserts produced = delivered + sum(dropped) + queued. */
export function identityHolds(s: {
  produced: number;
  delivered: number;
  queued: number;
  dropped: Partial<Record<string, number>>;
}): boolean {
  const dropped = Object.values(s.dropped).reduce<number>((a, b) => a + (b ?? 0), 0);
  return s.produced === s.delivered + dropped + s.queued;
}

/** A trivial JSON-array encoder, as the simplest adapter would write. */
export function encodeJson<T>(items: readonly T[]): { body: string; contentType: string } {
  return { body: JSON.stringify(items), contentType: 'application/json' };
}

/** Retry timings small enough for tests, large enough to be real back-offs. */
export const FAST_RETRY = { initialDelayMs: 5, maxDelayMs: 20, maxElapsedMs: 10_000 };

/**
 * Remembers channels made in a test so `afterEach` can check the accounting identity of every one,
 * then shuts them down so no timer or socket outlives the test.
 */
export function channelTracker() {
  const made: { stats(): Parameters<typeof identityHolds>[0]; shutdown(ms?: number): Promise<void> }[] = [];
  return {
    track<C extends (typeof made)[number]>(channel: C): C {
      made.push(channel);
      return channel;
    },
    async checkAndClose(): Promise<void> {
      const channels = made.splice(0);
      for (const c of channels) {
        if (!identityHolds(c.stats()))
          throw new Error(`accounting identity broken: ${JSON.stringify(c.stats())}`);
      }
      await Promise.all(channels.map((c) => c.shutdown(0)));
      for (const c of channels) {
        const s = c.stats();
        if (!identityHolds(s) || s.queued !== 0)
          throw new Error(`identity after shutdown: ${JSON.stringify(s)}`);
      }
    },
  };
}
