import { type IncomingMessage, request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { promisify } from 'node:util';
import { constants, gzip as gzipCallback } from 'node:zlib';
import { ClientUnavailableError } from './client-unavailable.js';
import type { ClientTls, ExportResponse, OutgoingRequest } from './spec.js';

// Async gzip runs on libuv's thread pool, so compressing a 5 MB batch never blocks the event loop.
const gzipAsync = promisify(gzipCallback);
/**
 * The fastest level: on a 512-span OTLP batch it costs half the CPU of the default level for a body
 * 3% larger, and on JSON log lines a quarter of the CPU for 15% larger. The service pays the CPU;
 * the bytes are cheap.
 */
const GZIP = { level: constants.Z_BEST_SPEED };

/** Compresses a body with gzip off the main thread. */
export async function gzipBody(body: Uint8Array): Promise<Uint8Array> {
  return gzipAsync(body, GZIP);
}

/** How the core treats an HTTP status. */
export type StatusClass = 'ok' | 'retry' | 'too_large' | 'reject';

/** Default retryable statuses: 408, 429 and every 5xx. */
export function defaultIsRetryable(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599);
}

/**
 * Classifies a status: 2xx ok, 413 too large, retryable per `isRetryable`, anything else rejected.
 *
 * @example
 * classifyStatus(503, defaultIsRetryable); // 'retry'
 */
export function classifyStatus(status: number, isRetryable: (status: number) => boolean): StatusClass {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 413) return 'too_large';
  if (isRetryable(status)) return 'retry';
  return 'reject';
}

/**
 * Describes a URL for diagnostics: origin and path only. Query strings and user info may carry
 * keys (`?api_key=`), so they never reach a message.
 *
 * @example
 * describeUrl(new URL('https://u:p@host/v1/logs?dd-api-key=x')); // 'https://host/v1/logs'
 */
export function describeUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

/** Why a request produced no HTTP answer. */
export interface TransportFailure {
  readonly kind: 'failure';
  /**
   * `timeout` (per-request timer), `aborted` (shutdown deadline), `network` (refused, reset, DNS...)
   * or `unavailable` (a custom `send` threw {@link ClientUnavailableError}: no request was made).
   */
  readonly reason: 'timeout' | 'aborted' | 'network' | 'unavailable';
  /** A short code such as `ECONNRESET`; never a URL or a header. For `unavailable`, the error's message. */
  readonly code: string;
}

export type TransportResult =
  | { readonly kind: 'response'; readonly response: ExportResponse }
  | TransportFailure;

/** Options for one POST. */
export interface PostOptions {
  readonly timeoutMs: number;
  /** Aborted at the shutdown deadline. */
  readonly abort: AbortSignal;
  readonly maxResponseBytes: number;
  /** Keep a 2xx body for the response hook (otherwise it is drained and discarded). */
  readonly readBody: boolean;
  readonly send?: (request: OutgoingRequest, signal: AbortSignal) => Promise<ExportResponse>;
  /** For an `https:` URL; the global agent keeps a separate pool of sockets for it. */
  readonly tls?: ClientTls;
}

/**
 * POSTs one buffered body (so `Content-Length` is always sent) with `node:http`/`node:https` over
 * Node's global keep-alive agents (settings the service makes on them apply), and never throws:
 * every outcome is a value. Redirects are not followed, since following one would carry vendor
 * auth headers (`DD-API-KEY`) to another host. Not `fetch`: its web streams cost the service
 * several times the CPU per request.
 */
export async function post(request: OutgoingRequest, options: PostOptions): Promise<TransportResult> {
  // One controller per request, linked by hand to the timeout and to the channel's shutdown signal:
  // AbortSignal.any() on a long-lived signal keeps every composite alive as long as the source.
  const controller = new AbortController();
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const abort = () => controller.abort();
  timeout.addEventListener('abort', abort, { once: true });
  options.abort.addEventListener('abort', abort, { once: true });
  if (options.abort.aborted) controller.abort();
  const signal = controller.signal;
  try {
    if (options.send) return { kind: 'response', response: await options.send(request, signal) };
    const res = await sendOverHttp(request, signal, options.tls);
    const status = res.statusCode ?? 0;
    const ok = status >= 200 && status < 300;
    // Always drain the body so the keep-alive socket can be reused; keep it only when a hook reads it.
    const keep = ok && options.readBody;
    const read = await readCapped(res, keep ? options.maxResponseBytes : 64 * 1024, keep);
    const headers = headersOf(res);
    const response: ExportResponse = read.bytes
      ? { status, headers, body: read.bytes.toString('utf8'), bytes: read.bytes, truncated: false }
      : { status, headers, body: '', truncated: read.truncated };
    return { kind: 'response', response };
  } catch (error) {
    if (options.abort.aborted) return { kind: 'failure', reason: 'aborted', code: 'ABORTED' };
    if (timeout.aborted) return { kind: 'failure', reason: 'timeout', code: 'TIMEOUT' };
    if (error instanceof ClientUnavailableError)
      return { kind: 'failure', reason: 'unavailable', code: error.message };
    return { kind: 'failure', reason: 'network', code: errorCode(error) };
  } finally {
    timeout.removeEventListener('abort', abort);
    options.abort.removeEventListener('abort', abort);
  }
}

function sendOverHttp(
  request: OutgoingRequest,
  signal: AbortSignal,
  tls: ClientTls | undefined,
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const { url } = request;
    const options: RequestOptions = {
      method: 'POST',
      signal,
      headers: { ...request.headers, 'content-length': String(request.body.byteLength) },
    };
    const req =
      url.protocol === 'https:'
        ? httpsRequest(url, { ...options, ...tls }, resolve)
        : httpRequest(url, options, resolve);
    // A request in flight does not keep the process alive: one ending on its own shuts sightline
    // down, whose deadline waits for it, instead of a hung backend holding the process for the
    // request's whole timeout first. A connection an agent makes may be any stream (a tunnel's),
    // without these methods: called only where they are, as a throw here would crash the service.
    req.on('socket', (socket: Partial<Socket>) => socket.unref?.());
    // Refed again as the request lets go of it, before the agent frees it: the agent hands it as it
    // is to a request queued for it (the service's own, on the shared agent at its maxSockets), and
    // unrefs one it keeps idle.
    req.once('close', () => (req.socket as Partial<Socket> | null)?.ref?.());
    // `on`, not `once`: an 'error' event with no listener left would throw in the service.
    req.on('error', reject);
    req.end(request.body);
  });
}

/** Reads at most `cap` bytes of the body; beyond that the connection is closed and the body dropped. */
function readCapped(
  res: IncomingMessage,
  cap: number,
  keep: boolean,
): Promise<{ bytes?: Buffer; truncated: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (value: { bytes?: Buffer; truncated: boolean } | Error): void => {
      if (settled) return;
      settled = true;
      if (value instanceof Error) reject(value);
      else resolve(value);
    };
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > cap) {
        res.destroy();
        settle({ truncated: true });
      } else if (keep) chunks.push(chunk);
    });
    res.once('end', () =>
      settle(keep ? { bytes: Buffer.concat(chunks), truncated: false } : { truncated: false }),
    );
    res.on('error', (error) => settle(error));
    // A connection that dies mid-body (aborted, reset) may close without 'error'.
    res.once('close', () =>
      settle(Object.assign(new Error('response closed early'), { code: 'ECONNRESET' })),
    );
  });
}

/** The response headers as a `Headers` object; a value it refuses is left out. */
function headersOf(res: IncomingMessage): Headers {
  const headers = new Headers();
  const raw = res.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    try {
      headers.append(raw[i]!, raw[i + 1]!);
    } catch {
      // Not a valid header for the Fetch standard; no hook needs it.
    }
  }
  return headers;
}

function errorCode(error: unknown): string {
  // node:http gives the socket's code; a custom `send` built on fetch wraps it:
  // TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } }).
  const cause = (error as { cause?: { code?: unknown; name?: unknown } } | null)?.cause;
  const code = cause?.code ?? (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^[A-Z0-9_]{2,40}$/.test(code)) return code;
  const name = cause?.name ?? (error as { name?: unknown } | null)?.name;
  return typeof name === 'string' && /^\w{1,40}$/.test(name) ? name : 'NETWORK_ERROR';
}
