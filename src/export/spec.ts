import type { Diag } from '../diag/diag.js';
import type { DropReason, Signal, SignalStats } from './types.js';
import type { RetryPolicy } from './retry.js';

/**
 * The vendor's per-request limits. A batch is cut at `maxItems` items and at `maxBytes` bytes of
 * encoded body (before compression); `maxCompressedBytes`, when set, is checked after gzip.
 */
export interface ChannelLimits {
  /** Most items in one request (Datadog logs: 1000; Datadog events: 1). */
  readonly maxItems: number;
  /** Most bytes of encoded body, before compression (New Relic: 1,000,000). */
  readonly maxBytes: number;
  /** Most bytes on the wire after gzip, for vendors that cap the compressed payload (Datadog metrics: 512,000). */
  readonly maxCompressedBytes?: number;
}

/** What an adapter's encoder returns for one batch. */
export interface EncodedBody {
  readonly body: string | Uint8Array;
  /** Sent as `Content-Type`, e.g. `application/json`. */
  readonly contentType: string;
}

/** A backend's answer as the hooks see it. */
export interface ExportResponse {
  readonly status: number;
  readonly headers: Headers;
  /**
   * The response body as text; read only for 2xx answers when `onResponse` is set (empty otherwise),
   * and empty with `truncated: true` when it is larger than `maxResponseBytes`.
   */
  readonly body: string;
  /** The same body as raw bytes, for binary answers (OTLP protobuf); set whenever `body` is read. */
  readonly bytes?: Uint8Array;
  readonly truncated: boolean;
}

/**
 * An adapter's reading of a 2xx answer that may be a partial success (OTLP `partialSuccess`,
 * Elastic `_bulk` item errors). Items neither rejected nor retried count as delivered.
 */
export interface ResponseVerdict {
  /** How many items the backend refused for good; counted dropped with reason `rejected`. */
  readonly rejected?: number;
  /** Indices (into the batch passed to the hook) of items to send again after a back-off. */
  readonly retry?: readonly number[];
}

/**
 * Everything an adapter supplies to get a channel: where, how to encode, the limits, and
 * optional hooks for vendor-specific answers. Headers are never logged.
 */
export interface ChannelSpec<T> {
  /** Adapter name as shown in stats and diagnostics, e.g. `datadog`. */
  readonly adapter: string;
  readonly signal: Signal;
  /** Where to POST; diagnostics show only its origin and path. */
  readonly url: URL;
  /** Static request headers (auth, vendor headers); `Content-Type`/`Content-Encoding` are set by the core. */
  readonly headers?: Readonly<Record<string, string>>;
  /** PEM certificates and key for an `https:` URL: a private CA to trust, a client certificate to present. */
  readonly tls?: ClientTls;
  readonly limits: ChannelLimits;
  /**
   * Encodes one batch; a throw isolates the bad items by halving and drops them as `encode_error`
   * (`too_large` when it is an `ItemTooLargeError`).
   */
  encode(items: readonly T[]): EncodedBody;
  /**
   * Cheap estimate of one item's encoded size, taken once as the item is pushed: it pre-cuts batches
   * (the encoded body is still checked) and counts against the queue's byte budget. Without it the
   * queue is bounded by its number of items only.
   */
  sizeOf?(item: T): number;
  /**
   * Whether the backend would refuse or silently drop the item if sent at `nowMs` (the wall clock):
   * Datadog takes no point more than an hour old. Asked as a batch is taken from the queue, after an
   * outage or a paused process; such items are dropped as `expired` instead of sent.
   */
  expired?(item: T, nowMs: number): boolean;
  /** Split the batch in halves and resend on `413` (a single item that still gets 413 is `too_large`). */
  readonly splitOn413?: boolean;
  /** Which statuses to retry; default 408, 429 and 5xx. (OTLP: 429, 502, 503, 504.) */
  isRetryable?(status: number): boolean;
  /** Reads a 2xx answer for partial success; `undefined` means every item was delivered. */
  onResponse?(response: ExportResponse, items: readonly T[]): ResponseVerdict | undefined;
  /**
   * Vendor-specific wait before the next attempt, in ms (e.g. Datadog `X-RateLimit-Reset`);
   * `undefined` falls back to `Retry-After`, then to exponential back-off with full jitter.
   */
  retryDelayMs?(response: ExportResponse): number | undefined;
  /**
   * Replaces the HTTP POST (for SDK-backed backends); must honour `signal` and resolve to the
   * backend's status. Network failures should reject; they are retried. A client that cannot be
   * had at all (an SDK that fails to load) should reject with `ClientUnavailableError`: the batch
   * is dropped as `client_unavailable`, not retried.
   */
  send?(request: OutgoingRequest, signal: AbortSignal): Promise<ExportResponse>;
}

/** TLS material for one endpoint, in PEM. `ca` replaces the default trusted CAs, as Node's option does. */
export interface ClientTls {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

/** The request a custom `send` receives: the encoded, possibly gzipped body and all headers. */
export interface OutgoingRequest {
  readonly url: URL;
  readonly body: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
}

/** Tuning shared by every channel; all optional, with defaults fit for production. */
export interface ChannelOptions {
  /** Most items held (queued plus in flight); beyond it new items are dropped as `queue_full`. Default 2048; 50,000 for metrics, whose whole collection is queued at once. */
  queueSize?: number | undefined;
  /**
   * Most bytes held (queued plus in flight), by the adapter's size estimate of each item; beyond it
   * new items are dropped as `queue_full`, and one larger on its own as `too_large`. Default 32 MiB;
   * 64 MiB for metrics.
   */
  queueBytes?: number | undefined;
  /** How often a partial batch is sent. Default 5000 ms. */
  flushIntervalMs?: number | undefined;
  /** Per-request timeout. Default 10,000 ms. */
  timeoutMs?: number | undefined;
  /** Gzip request bodies (`Content-Encoding: gzip`). Default true. */
  gzip?: boolean | undefined;
  /** Requests in flight at once for this channel. Default 1; 8 where each item is a request of its own (Datadog's events). */
  concurrency?: number | undefined;
  /**
   * Deadline used when the SDK calls `shutdown()`/`forceFlush()` without one. Default 5000 ms; when
   * unset, a call under `obs.shutdown()` or `obs.forceFlush()` has all of their deadline instead.
   */
  shutdownTimeoutMs?: number | undefined;
  /** Back-off tuning. */
  retry?: Partial<RetryPolicy> | undefined;
  /** Cap on the 2xx response body handed to `onResponse`. Default 4 MiB. */
  maxResponseBytes?: number | undefined;
  /**
   * Where the core reports trouble (rate-limited, never the user's logger). Default silent; an
   * adapter gives it sightline's.
   * @internal
   */
  diag?: Diag | undefined;
  /**
   * Random source in [0, 1) for jitter. Default `Math.random`; tests pin it.
   * @internal
   */
  random?: (() => number) | undefined;
  /**
   * Monotonic clock in ms for retry budgets and deadlines. Default `performance.now`; tests pin it.
   * @internal
   */
  now?: (() => number) | undefined;
}

/**
 * One adapter × signal send pipeline: a bounded queue, batching, a flush timer, retries and
 * accounting. `push` never throws and never blocks; delivery happens in the background.
 */
export interface ExportChannel<T> {
  readonly adapter: string;
  readonly signal: Signal;
  /** Enqueues one item; `false` when it was dropped (queue full or shut down). */
  push(item: T): boolean;
  /** Enqueues items in order; returns how many were accepted (the rest are dropped and counted). */
  pushAll(items: readonly T[]): number;
  /** Counts items the adapter refused before enqueueing (e.g. invalid), so they appear in stats. */
  discard(count: number, reason: DropReason): void;
  /**
   * Sends everything queued so far; resolves once sent or at the deadline (ms from now), leaving
   * anything unsent queued for later. Never rejects.
   */
  forceFlush(timeoutMs?: number): Promise<void>;
  /**
   * Sends what it can within the deadline (ms from now), aborts what is still in flight at the
   * deadline, counts the rest dropped with reason `shutdown`. Idempotent; never rejects.
   */
  shutdown(timeoutMs?: number): Promise<void>;
  /** A consistent copy: produced = delivered + sum(dropped) + queued. */
  stats(): SignalStats;
}
