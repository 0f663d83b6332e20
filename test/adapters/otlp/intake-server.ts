import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer, type ServerOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** The OTLP/HTTP signals this collector stand-in speaks, by path. */
export type OtlpPath = 'traces' | 'metrics' | 'logs';

/** One request as the collector saw it. */
export interface OtlpRequest {
  readonly signal: OtlpPath | undefined;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** Bytes on the wire (compressed when `content-encoding: gzip`). */
  readonly wire: Buffer;
  /** Decompressed body. */
  readonly body: Buffer;
  /** Parsed body for `application/json` requests. */
  readonly json: unknown;
  status: number;
  /** `performance.now()` on arrival. */
  readonly at: number;
}

/** A scripted answer for one request; `partial` answers 200 with a partial success in the request's encoding. */
export interface OtlpReply {
  status?: number;
  headers?: Record<string, string>;
  /** `google.rpc.Status`-like error body (JSON) for failures. */
  message?: string;
  /** 200 with `partialSuccess.rejected<Items> = partial`. */
  partial?: number;
  /** Destroy the socket instead of answering. */
  drop?: boolean;
}

export interface OtlpCollector {
  readonly url: string;
  readonly port: number;
  readonly requests: OtlpRequest[];
  accepted(signal: OtlpPath): OtlpRequest[];
  /** Queues answers for the next requests to `signal`; then plain success again. */
  script(signal: OtlpPath, ...replies: OtlpReply[]): void;
  waitFor(signal: OtlpPath, n: number): Promise<void>;
  close(): Promise<void>;
}

const PATHS: Record<string, OtlpPath> = {
  '/v1/traces': 'traces',
  '/v1/metrics': 'metrics',
  '/v1/logs': 'logs',
};
const REJECTED = {
  traces: 'rejectedSpans',
  metrics: 'rejectedDataPoints',
  logs: 'rejectedLogRecords',
} as const;

/** Protobuf `ExportXServiceResponse { partial_success = 1 { rejected = 1 (int64); error_message = 2 } }`. */
export function protobufPartialSuccess(rejected: number, message: string): Buffer {
  const msg = Buffer.from(message, 'utf8');
  const inner = Buffer.concat([
    Buffer.from([0x08]),
    varint(rejected),
    Buffer.from([0x12]),
    varint(msg.length),
    msg,
  ]);
  return Buffer.concat([Buffer.from([0x0a]), varint(inner.length), inner]);
}

function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Buffer.from(out);
}

/**
 * Starts a loopback OTLP/HTTP receiver that behaves as the OTLP specification says: `POST` only,
 * `application/x-protobuf` or `application/json` (else 415), gzip honoured, success answered in the
 * request's encoding (`{}` or an empty protobuf message), scripted failures and partial successes.
 */
export async function startCollector(port = 0, tls?: ServerOptions): Promise<OtlpCollector> {
  const requests: OtlpRequest[] = [];
  const scripts: Record<OtlpPath, OtlpReply[]> = { traces: [], metrics: [], logs: [] };
  const waiters: { signal: OtlpPath; n: number; resolve: () => void }[] = [];
  const count = (signal: OtlpPath) => requests.filter((r) => r.signal === signal).length;

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://collector').pathname;
      const signal = PATHS[path];
      const wire = Buffer.concat(chunks);
      const contentType = (req.headers['content-type'] ?? '').toLowerCase();
      const isJson = contentType.startsWith('application/json');
      let body = wire;
      let bad = false;
      if ((req.headers['content-encoding'] ?? '').toLowerCase() === 'gzip') {
        try {
          body = gunzipSync(wire);
        } catch {
          bad = true;
        }
      }
      let json: unknown;
      if (!bad && isJson) {
        try {
          json = JSON.parse(body.toString('utf8'));
        } catch {
          bad = true;
        }
      }
      const record: OtlpRequest = {
        signal,
        path,
        headers: req.headers,
        wire,
        body,
        json,
        status: 0,
        at: performance.now(),
      };
      requests.push(record);
      for (const w of [...waiters]) {
        if (w.signal === signal && count(signal) >= w.n) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
      const fail = (status: number, message: string, headers: Record<string, string> = {}) => {
        record.status = status;
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify({ code: 3, message }));
      };
      if (signal === undefined) return fail(404, 'unknown path');
      if (req.method !== 'POST') return fail(405, 'POST only');
      if (!isJson && contentType !== 'application/x-protobuf') return fail(415, 'unsupported content type');
      if (bad) return fail(400, 'cannot decode body');
      const scripted = scripts[signal].shift();
      if (scripted?.drop) {
        record.status = -1;
        res.socket?.destroy();
        return;
      }
      if (scripted?.status !== undefined && scripted.status !== 200) {
        return fail(scripted.status, scripted.message ?? 'scripted failure', scripted.headers);
      }
      record.status = 200;
      if (isJson) {
        res.writeHead(200, { 'content-type': 'application/json' });
        const partial =
          scripted?.partial !== undefined
            ? {
                partialSuccess: {
                  [REJECTED[signal]]: String(scripted.partial),
                  errorMessage: 'bad data points',
                },
              }
            : {};
        return res.end(JSON.stringify(partial));
      }
      res.writeHead(200, { 'content-type': 'application/x-protobuf' });
      res.end(
        scripted?.partial !== undefined ? protobufPartialSuccess(scripted.partial, 'bad data') : undefined,
      );
    });
  };

  const server: Server = tls ? createHttpsServer(tls, handle) : createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${bound}`,
    port: bound,
    requests,
    accepted: (signal) => requests.filter((r) => r.signal === signal && r.status === 200),
    script(signal, ...replies) {
      scripts[signal].push(...replies);
    },
    waitFor(signal, n) {
      if (count(signal) >= n) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ signal, n, resolve }));
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
