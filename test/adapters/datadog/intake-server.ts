import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** One request as the intake saw it. */
export interface Recorded {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  /** Bytes on the wire (compressed when gzipped). */
  readonly wireBytes: number;
  /** The body after gunzip. */
  readonly raw: Buffer;
  readonly text: string;
  /** The answer given. */
  status: number;
  readonly at: number;
}

/** A scripted answer; `drop` destroys the socket without answering. */
export interface Scripted {
  readonly status?: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly delayMs?: number;
  readonly drop?: boolean;
}

/** A point Datadog keeps: the last one sent of its series at its second. */
export interface KeptPoint {
  readonly metric: string;
  readonly tags: readonly string[];
  readonly host: string | undefined;
  readonly timestamp: number;
  readonly value: number;
}

interface SeriesItem {
  readonly metric: string;
  readonly tags?: readonly string[];
  readonly resources?: readonly { readonly name: string; readonly type: string }[];
  readonly points: readonly { readonly timestamp: number; readonly value: number }[];
}

const MB5 = 5 * 1024 * 1024;

/**
 * A loopback server speaking Datadog's intake APIs as documented: `/api/v2/series`,
 * `/api/v2/logs`, `/api/v1/events` (202, `DD-API-KEY` checked: 401 missing, 403 wrong; 413 over
 * the payload limits), and the Agent's trace endpoints (`/v0.4/traces`, `/v0.5/traces`,
 * `/v1/traces`). Answers can be scripted per path.
 */
export class IntakeServer {
  readonly requests: Recorded[] = [];
  private readonly scripts = new Map<string, Scripted[]>();
  private readonly sockets = new Set<Socket>();
  private server: Server;
  port = 0;

  private constructor(private readonly apiKey: string | undefined) {
    this.server = this.makeServer();
  }

  /** Starts on 127.0.0.1 (a random port unless `port` is given). */
  static async start(options: { apiKey?: string; port?: number } = {}): Promise<IntakeServer> {
    const s = new IntakeServer(options.apiKey);
    await s.listen(options.port ?? 0);
    return s;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Answers the next requests to `path` with these, in order; then the defaults again. */
  script(path: string, ...answers: Scripted[]): void {
    this.scripts.set(path, [...(this.scripts.get(path) ?? []), ...answers]);
  }

  on(path: string): Recorded[] {
    return this.requests.filter((r) => r.path === path);
  }

  /**
   * The points Datadog keeps of the series accepted at `/api/v2/series`: of one series (name, tags
   * as a set, host) at one timestamp (whole seconds), the last one sent, as Datadog keeps them;
   * earlier ones at that second are overwritten.
   */
  keptPoints(): KeptPoint[] {
    const kept = new Map<string, KeptPoint>();
    for (const r of this.on('/api/v2/series')) {
      if (r.status >= 300) continue;
      const { series } = JSON.parse(r.text) as { series: SeriesItem[] };
      for (const s of series) {
        const tags = [...(s.tags ?? [])].sort();
        const host = s.resources?.find((x) => x.type === 'host')?.name;
        for (const p of s.points) {
          const key = JSON.stringify([s.metric, tags, host, p.timestamp]);
          kept.delete(key);
          kept.set(key, { metric: s.metric, tags, host, timestamp: p.timestamp, value: p.value });
        }
      }
    }
    return [...kept.values()];
  }

  /** Polls until `predicate` holds (or fails after `timeoutMs`). */
  async waitFor(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > end) throw new Error('timed out waiting for the intake');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Stops listening and cuts open connections (the backend goes down). */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Listens again on the same port (the backend comes back). */
  async reopen(): Promise<void> {
    this.server = this.makeServer();
    await this.listen(this.port);
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.port = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  private makeServer(): Server {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => void this.handle(req, res, Buffer.concat(chunks)));
    });
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    return server;
  }

  private async handle(req: IncomingMessage, res: ServerResponse, wire: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    let raw = wire;
    if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(wire);
    const rec: Recorded = {
      method: req.method ?? '',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      wireBytes: wire.length,
      raw,
      text: raw.toString('utf8'),
      status: 0,
      at: Date.now(),
    };
    this.requests.push(rec);
    const scripted = this.scripts.get(url.pathname)?.shift();
    if (scripted?.delayMs) await new Promise((r) => setTimeout(r, scripted.delayMs));
    if (scripted?.drop) {
      req.socket.destroy();
      return;
    }
    const answer = scripted?.status !== undefined ? scripted : this.defaultAnswer(rec);
    rec.status = answer.status ?? 202;
    res.writeHead(rec.status, { 'content-type': 'application/json', ...answer.headers });
    res.end(answer.body ?? (rec.status < 300 ? '{"errors":[]}' : '{"errors":["scripted"]}'));
  }

  /** What Datadog answers by itself: auth first, then the documented payload limits. */
  private defaultAnswer(rec: Recorded): Scripted {
    const intake = rec.path.startsWith('/api/');
    if (!intake) {
      if (rec.path === '/v1/traces')
        return { status: 200, headers: { 'content-type': 'application/x-protobuf' }, body: '' };
      return { status: 200, body: '{"rate_by_service":{}}' };
    }
    const key = rec.headers['dd-api-key'];
    if (this.apiKey !== undefined && key === undefined)
      return { status: 401, body: '{"errors":["Unauthorized"]}' };
    if (this.apiKey !== undefined && key !== this.apiKey)
      return { status: 403, body: '{"errors":["Forbidden"]}' };
    if (rec.path === '/api/v2/series') {
      if (rec.wireBytes > 512_000 || rec.raw.length >= MB5)
        return { status: 413, body: '{"errors":["Payload too large"]}' };
      return { status: 202 };
    }
    if (rec.path === '/api/v2/logs') {
      if (rec.raw.length > MB5) return { status: 413, body: '{"errors":["Payload too large"]}' };
      const parsed = JSON.parse(rec.text) as unknown;
      if (Array.isArray(parsed) && parsed.length > 1000)
        return { status: 400, body: '{"errors":["too many logs"]}' };
      return { status: 202, body: '{}' };
    }
    if (rec.path === '/api/v1/events') return { status: 202, body: '{"status":"ok","event":{}}' };
    return { status: 404, body: '{"errors":["Not found"]}' };
  }
}
