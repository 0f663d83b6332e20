import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** The New Relic APIs this server speaks, by path. */
export type NrApi = 'metrics' | 'logs' | 'events' | 'traces';

/** One request as the intake saw it. */
export interface NrRequest {
  readonly api: NrApi | undefined;
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** Bytes on the wire (compressed). */
  readonly wire: Buffer;
  /** Decompressed body. */
  readonly body: Buffer;
  /** The parsed JSON body (JSON APIs), else undefined. */
  readonly json: unknown;
  /** Status the intake answered. */
  status: number;
  readonly at: number;
}

/** A scripted answer replacing the documented default for one request. */
export interface NrReply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Destroy the socket instead of answering. */
  drop?: boolean;
}

export interface NrIntakeOptions {
  /** The license key the intake accepts; any other `Api-Key` gets 403. */
  licenseKey: string;
  /** Largest accepted wire payload; larger gets 413 (New Relic: 10^6 bytes). */
  maxPayloadBytes?: number;
  /** Listen on this port (0: any free port). */
  port?: number;
}

/** A loopback server speaking New Relic's Metric, Log, Event and OTLP trace intake as documented. */
export interface NrIntake {
  readonly url: string;
  readonly port: number;
  readonly requests: NrRequest[];
  /** Requests to one API that were accepted (2xx). */
  accepted(api: NrApi): NrRequest[];
  /** Queues scripted answers for the next requests to `api`, in order; then the defaults apply again. */
  script(api: NrApi, ...replies: NrReply[]): void;
  /** Changes the 413 threshold. */
  setMaxPayloadBytes(bytes: number): void;
  /** Resolves once `n` requests to `api` have arrived. */
  waitFor(api: NrApi, n: number): Promise<void>;
  close(): Promise<void>;
}

const EVENTS_PATH = /^\/v1\/accounts\/\d+\/events$/;

function apiOf(path: string): NrApi | undefined {
  if (path === '/metric/v1') return 'metrics';
  if (path === '/log/v1') return 'logs';
  if (path === '/v1/traces') return 'traces';
  if (EVENTS_PATH.test(path)) return 'events';
  return undefined;
}

/** Starts the intake on 127.0.0.1. */
export async function startNrIntake(options: NrIntakeOptions): Promise<NrIntake> {
  let maxPayload = options.maxPayloadBytes ?? 1_000_000;
  const requests: NrRequest[] = [];
  const scripts: Record<NrApi, NrReply[]> = { metrics: [], logs: [], events: [], traces: [] };
  const waiters: { api: NrApi; n: number; resolve: () => void }[] = [];
  const count = (api: NrApi) => requests.filter((r) => r.api === api).length;

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://intake');
      const api = apiOf(url.pathname);
      const wire = Buffer.concat(chunks);
      let body = wire;
      let gunzipFailed = false;
      if ((req.headers['content-encoding'] ?? '').toLowerCase() === 'gzip') {
        try {
          body = gunzipSync(wire);
        } catch {
          gunzipFailed = true;
        }
      }
      const contentType = (req.headers['content-type'] ?? '').toLowerCase();
      let json: unknown;
      let jsonFailed = false;
      if (!gunzipFailed && contentType.startsWith('application/json')) {
        try {
          json = JSON.parse(body.toString('utf8'));
        } catch {
          jsonFailed = true;
        }
      }
      const record: NrRequest = {
        api,
        method: req.method ?? '',
        path: url.pathname,
        headers: req.headers,
        wire,
        body,
        json,
        status: 0,
        at: Date.now(),
      };
      requests.push(record);
      for (const w of [...waiters]) {
        if (w.api === api && count(api) >= w.n) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }

      const answer = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
        record.status = status;
        const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(text);
      };

      // Documented synchronous checks, in the order New Relic's docs list them.
      if (api === undefined) return answer(404, { error: 'not found' });
      if (req.method !== 'POST') return answer(405, { error: 'method not allowed' });
      if (req.headers['content-length'] === undefined) return answer(411, { error: 'length required' });
      const key =
        api === 'traces' ? req.headers['api-key'] : (req.headers['api-key'] ?? req.headers['license-key']);
      if (key !== options.licenseKey) return answer(403, { error: 'invalid license key' });
      const scripted = scripts[api].shift();
      if (scripted?.drop) {
        record.status = -1;
        res.socket?.destroy();
        return;
      }
      if (scripted) return answer(scripted.status, scripted.body ?? '{}', scripted.headers);
      if (wire.byteLength > maxPayload) return answer(413, { error: 'payload too large' });
      if (gunzipFailed || jsonFailed) return answer(400, { error: 'invalid body' });
      if (api === 'traces') {
        if (contentType === 'application/x-protobuf') {
          record.status = 200;
          res.writeHead(200, { 'content-type': 'application/x-protobuf' });
          return res.end();
        }
        if (json === undefined) return answer(415, { error: 'unsupported content type' });
        return answer(200, {});
      }
      if (json === undefined) return answer(415, { error: 'unsupported content type' });
      if (api === 'events') return answer(200, { success: true, uuid: randomUUID() });
      return answer(202, { requestId: randomUUID() });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    accepted: (api) => requests.filter((r) => r.api === api && r.status >= 200 && r.status < 300),
    script(api, ...replies) {
      scripts[api].push(...replies);
    },
    setMaxPayloadBytes(bytes) {
      maxPayload = bytes;
    },
    waitFor(api, n) {
      if (count(api) >= n) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ api, n, resolve }));
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The `endpoints` option pointing every New Relic signal at the intake. */
export function endpointsFor(intake: { url: string }, accountId = '1234567') {
  return {
    metrics: `${intake.url}/metric/v1`,
    logs: `${intake.url}/log/v1`,
    traces: `${intake.url}/v1/traces`,
    events: `${intake.url}/v1/accounts/${accountId}/events`,
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
