import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** How the backend misbehaves. `ok` is a well-behaved OTLP/HTTP JSON collector. */
export type Fault = 'ok' | 'refuse' | 'hang' | 'http500' | 'http429' | 'reset' | 'garbage';

/** Every failure mode, in the order the suite walks through them. */
export const FAULTS: readonly Exclude<Fault, 'ok'>[] = [
  'refuse',
  'hang',
  'http500',
  'http429',
  'reset',
  'garbage',
];

/** Items the backend accepted (answered 2xx for), per OTLP signal; events are log records named `sightline.anomaly`. */
export interface Received {
  traces: number;
  metrics: number;
  logs: number;
  events: number;
}

export interface FaultyBackend {
  readonly url: string;
  readonly received: Received;
  /** Requests seen, by the mode they were answered in. */
  readonly requests: Record<Fault, number>;
  /** Every request's headers and decompressed body, when `keepBodies` is set (for secret scans). */
  readonly bodies: { headers: Record<string, unknown>; body: string }[];
  readonly mode: Fault;
  /** Switches the failure mode; requests held by `hang` are cut when it ends. */
  setMode(mode: Fault): Promise<void>;
  close(): Promise<void>;
}

export interface FaultyBackendOptions {
  /** How long `hang` holds a request before cutting it (30 s in the suite); it is cut earlier when the mode changes. */
  hangMs?: number;
  /** `Retry-After` seconds sent with 429. */
  retryAfterSeconds?: number;
  keepBodies?: boolean;
}

const GARBAGE = Buffer.from('\u0000\u00ff\u00fe not http at all \r\n\r\n\u0007garbage', 'latin1');

/**
 * A loopback OTLP/HTTP (JSON) collector that misbehaves on demand: refuses connections (its port
 * is closed), hangs, answers 500 or 429 with `Retry-After`, resets the connection in the middle of
 * the request body, or answers bytes that are not HTTP. In `ok` mode it answers `{}` and counts the
 * items of each request, so a test can compare what arrived with what sightline counts `delivered`.
 */
export async function startFaultyBackend(options: FaultyBackendOptions = {}): Promise<FaultyBackend> {
  const hangMs = options.hangMs ?? 30_000;
  const retryAfter = String(options.retryAfterSeconds ?? 1);
  const received: Received = { traces: 0, metrics: 0, logs: 0, events: 0 };
  const requests: Record<Fault, number> = {
    ok: 0,
    refuse: 0,
    hang: 0,
    http500: 0,
    http429: 0,
    reset: 0,
    garbage: 0,
  };
  const bodies: { headers: Record<string, unknown>; body: string }[] = [];
  const held = new Set<ServerResponse>();
  const sockets = new Set<Socket>();
  let mode: Fault = 'ok';
  let port = 0;

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const at = mode;
    requests[at]++;
    if (at === 'reset') {
      // Cut the connection once the body starts arriving: the client sees a reset mid-request.
      req.once('data', () => req.socket.resetAndDestroy());
      req.once('end', () => req.socket.resetAndDestroy());
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (options.keepBodies) bodies.push({ headers: { ...req.headers }, body: decode(req, chunks) });
      switch (at) {
        case 'hang': {
          held.add(res);
          const t = setTimeout(() => cut(res), hangMs);
          res.once('close', () => {
            clearTimeout(t);
            held.delete(res);
          });
          return;
        }
        case 'http500':
          res.writeHead(500, { 'content-type': 'application/json' });
          return res.end('{"code":13,"message":"internal error"}');
        case 'http429':
          res.writeHead(429, { 'content-type': 'application/json', 'retry-after': retryAfter });
          return res.end('{"code":8,"message":"slow down"}');
        case 'garbage':
          req.socket.end(GARBAGE);
          return;
        default:
          count(req, chunks);
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{}');
      }
    });
  };

  const count = (req: IncomingMessage, chunks: Buffer[]) => {
    const path = req.url ?? '';
    let doc: Record<string, any[]>;
    try {
      doc = JSON.parse(decode(req, chunks));
    } catch {
      return;
    }
    if (path.endsWith('/v1/traces')) {
      for (const rs of doc.resourceSpans ?? [])
        for (const ss of rs.scopeSpans ?? []) received.traces += ss.spans?.length ?? 0;
    } else if (path.endsWith('/v1/metrics')) {
      for (const rm of doc.resourceMetrics ?? [])
        for (const sm of rm.scopeMetrics ?? [])
          for (const m of sm.metrics ?? []) {
            const data = m.sum ?? m.gauge ?? m.histogram ?? m.exponentialHistogram ?? m.summary;
            received.metrics += data?.dataPoints?.length ?? 0;
          }
    } else if (path.endsWith('/v1/logs')) {
      for (const rl of doc.resourceLogs ?? [])
        for (const sl of rl.scopeLogs ?? [])
          for (const r of sl.logRecords ?? []) {
            if (r.eventName === 'sightline.anomaly') received.events++;
            else received.logs++;
          }
    }
  };

  const cut = (res: ServerResponse) => {
    held.delete(res);
    res.socket?.destroy();
  };

  let server: Server;
  const listen = async (at: number) => {
    server = createServer(handle);
    server.keepAliveTimeout = 5000;
    server.on('connection', (s) => {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(at, '127.0.0.1', () => resolve());
    });
    port = (server.address() as AddressInfo).port;
  };
  // Requests in progress are answered before the port closes: cutting one that was already counted
  // would make the client retry it, and the backend would count its items twice.
  const stop = async (force: boolean) => {
    for (const res of [...held]) cut(res);
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    if (force) for (const s of sockets) s.destroy();
    const t = setTimeout(() => {
      for (const s of sockets) s.destroy();
    }, 2000);
    await closed;
    clearTimeout(t);
  };
  await listen(0);

  return {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    received,
    requests,
    bodies,
    get mode() {
      return mode;
    },
    async setMode(next) {
      if (next === mode) return;
      const was = mode;
      mode = next;
      for (const res of [...held]) cut(res);
      // "Refuses connections": nothing listens on the port, so connecting fails with ECONNREFUSED.
      if (next === 'refuse') await stop(false);
      if (was === 'refuse') await listen(port);
    },
    async close() {
      if (mode !== 'refuse') await stop(true);
    },
  };
}

function decode(req: IncomingMessage, chunks: Buffer[]): string {
  const raw = Buffer.concat(chunks);
  try {
    return (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
  } catch {
    return raw.toString('latin1');
  }
}
