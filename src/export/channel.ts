import { flushTimeLeft } from './deadline.js';
import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { type Diag, silentDiag } from '../diag/diag.js';
import { ErrorCodes, SightlineConfigError, describeValue } from '../diag/errors.js';
import { invalidCode } from './adapter-options.js';
import { MAX_TIMER_MS } from '../internal/timer-ms.js';
import { realClearTimeout, realNow, realSetImmediate, realSetTimeout } from '../internal/node-timers.js';
import { encodeParts, ItemQueue, splitHalves } from './batching.js';
import { encodeTurn } from './encode-turns.js';
import { backoffDelayMs, DEFAULT_RETRY, parseRetryAfter, type RetryPolicy } from './retry.js';
import type { ChannelOptions, ChannelSpec, ExportChannel, ExportResponse } from './spec.js';
import { classifyStatus, defaultIsRetryable, describeUrl, gzipBody, post } from './transport.js';
import type { DropReason, Signal, SignalStats } from './types.js';

// The export's own HTTP calls must never be traced, metered or logged by sightline (that would
// loop: an export span exported by the next export...). Rooting at ROOT_CONTEXT rather than the
// caller's context also keeps a user's span or baggage from leaking into a background send.
const SUPPRESSED = suppressTracing(ROOT_CONTEXT);

/**
 * Default queue sizes. A metric collection is pushed whole, before anything is sent, so the metrics
 * queue must hold the largest one: 50,000 points is 25 instruments at the default cardinality limit
 * (2,000 series each), about 10 MB of counter points when full.
 */
const DEFAULT_QUEUE_SIZE: Readonly<Record<Signal, number>> = {
  metrics: 50_000,
  traces: 2048,
  logs: 2048,
  events: 2048,
};

/**
 * Requests in flight at once, by default, for a channel whose items go one per request (Datadog's
 * events). An outage gives a few hundred events at once, each a round trip: one at a time, 300
 * take 30 s at 100 ms, and a pod stopped mid-incident sends a sixth of them before its 5 s
 * deadline. Eight send them in under 4 s, still far below the 250,000 a minute Datadog takes for
 * an organisation, while a service already in trouble opens no more than eight connections for
 * them. A batching channel keeps one: its requests carry up to thousands of items each.
 */
const ONE_PER_REQUEST_CONCURRENCY = 8;

const MiB = 1024 * 1024;

/**
 * Default byte budgets, in the adapters' size estimates. 2,048 log lines or spans of a usual size
 * (0.3 to 2 KB) take 1 to 4 MiB: 32 MiB is reached only by items of 16 KB on average, such as log
 * lines carrying request bodies, which would otherwise hold their full size 2,048 times over behind
 * a slow backend. Metrics get twice that: a full 50,000-point collection at up to 1.3 KB a point.
 */
const DEFAULT_QUEUE_BYTES: Readonly<Record<Signal, number>> = {
  metrics: 64 * MiB,
  traces: 32 * MiB,
  logs: 32 * MiB,
  events: 32 * MiB,
};

/** A batch taken from the queue, followed until every one of its items is settled. */
interface Job {
  /** Items not yet delivered or dropped. */
  pending: number;
  /** The estimated size of its items, held against the byte budget until the job ends. */
  readonly bytes: number;
  /** Sequence number of the job's first item; flush waiters watch it. */
  readonly minSeq: number;
  /**
   * When its retry budget began: its first attempt, so a hold it waited out before it could make one
   * is not spent from it.
   */
  startedAt: number;
  attempt: number;
  /** Set at the shutdown deadline: the job's items were counted as dropped, ignore its late results. */
  abandoned: boolean;
  /** The back-off in progress, if any, so shutdown can cut it short. */
  sleep?: { readonly endsAt: number; cancel(): void };
}

type Outcome = 'delivered' | DropReason;

/**
 * Creates the send pipeline for one adapter × signal: a bounded queue, batches cut by the vendor's
 * limits, a flush timer, gzip, timeouts, retries and exact accounting. Throws a coded
 * `SightlineConfigError` on bad limits or options (at setup); never throws afterwards.
 *
 * @example
 * const logs = createChannel<LogRecord>({
 *   adapter: 'datadog', signal: 'logs', url: new URL('https://http-intake.logs.datadoghq.com/api/v2/logs'),
 *   headers: { 'DD-API-KEY': apiKey }, limits: { maxItems: 1000, maxBytes: 5_000_000 },
 *   encode: (items) => ({ body: JSON.stringify(items), contentType: 'application/json' }),
 * }, { diag: ctx.diag });
 * logs.push(record);
 * await logs.shutdown(5000);
 */
export function createChannel<T>(spec: ChannelSpec<T>, options: ChannelOptions = {}): ExportChannel<T> {
  const { adapter, signal, limits } = spec;
  const label = `${adapter} ${signal}`;
  const positiveInt = (option: string, value: number) => checkPositiveInt(label, option, value);
  const {
    queueSize,
    queueBytes,
    flushIntervalMs,
    timeoutMs,
    shutdownTimeoutMs,
    maxResponseBytes,
    policy,
    gzip,
  } = checkChannelOptions(adapter, signal, options);
  const ownShutdownTimeout = options.shutdownTimeoutMs !== undefined;
  const maxItems = positiveInt('limits.maxItems', limits.maxItems);
  const concurrency = options.concurrency ?? (maxItems === 1 ? ONE_PER_REQUEST_CONCURRENCY : 1);
  const maxBytes = positiveInt('limits.maxBytes', limits.maxBytes);
  const maxCompressed =
    limits.maxCompressedBytes === undefined
      ? undefined
      : positiveInt('limits.maxCompressedBytes', limits.maxCompressedBytes);
  const diag: Diag = options.diag ?? silentDiag;
  const random = options.random ?? Math.random;
  // Monotonic: NTP stepping the wall clock must not stretch a retry budget or spend it at once.
  const now = options.now ?? realNow;
  const isRetryable = spec.isRetryable ?? defaultIsRetryable;
  const baseHeaders = normaliseHeaders(spec.headers ?? {});
  const where = describeUrl(spec.url);
  const key = `export.${adapter}.${signal}`;
  // Send a partial batch early once the queue is half full, so a small queue never waits for the timer.
  const readyAt = Math.min(maxItems, Math.max(1, Math.floor(queueSize / 2)));
  // Likewise by size: a batch of big items is sent once it fills a request, not at 1,000 items.
  const readyBytes = Math.min(maxBytes, Math.max(1, Math.floor(queueBytes / 2)));
  const sizeOf = spec.sizeOf;

  const queue = new ItemQueue<T>();
  const dropped: Partial<Record<DropReason, number>> = {};
  let produced = 0;
  let delivered = 0;
  let retried = 0;
  let queued = 0;
  /** Estimated bytes of the items queued and of the jobs in flight. */
  let heldBytes = 0;
  // Sequence numbers: items accepted into the queue, items taken out of it, and the mark up to
  // which a flush wants partial batches sent.
  let acceptedSeq = 0;
  let takenSeq = 0;
  let drainUntil = 0;
  const inflight = new Set<Job>();
  const waiters = new Set<{ mark: number; resolve: () => void }>();
  let active = 0;
  /**
   * Until when the backend asked (429 or 503 with a delay) that nothing be sent: the channel's other
   * requests wait too, as the limit is the account's, not one request's, and whether or not the
   * refused one waits it out; but no longer than a batch's retry budget, so a delay of hours does
   * not stop the channel for hours.
   */
  let heldUntil = 0;
  let scheduled = false;
  let closed = false;
  let deadline: number | undefined;
  let shutdownPromise: Promise<void> | undefined;
  let finished = false;
  const abortAll = new AbortController();

  const timer = setInterval(() => {
    if (queue.length === 0) return;
    drainUntil = acceptedSeq;
    schedule();
  }, flushIntervalMs);
  timer.unref();

  function drop(n: number, reason: DropReason): void {
    dropped[reason] = (dropped[reason] ?? 0) + n;
  }

  function settle(job: Job, count: number, outcome: Outcome): void {
    if (job.abandoned || count <= 0) return;
    const n = Math.min(count, job.pending);
    job.pending -= n;
    queued -= n;
    if (outcome === 'delivered') delivered += n;
    else drop(n, outcome);
  }

  function hasWork(): boolean {
    const n = queue.length;
    return n > 0 && (n >= readyAt || queue.bytes >= readyBytes || takenSeq < drainUntil || closed);
  }

  function schedule(): void {
    if (scheduled || active >= concurrency || !hasWork()) return;
    scheduled = true;
    // Deferred so encoding never runs inside the caller's `push`.
    realSetImmediate(() => {
      scheduled = false;
      context.with(SUPPRESSED, startWorkers);
    });
  }

  function startWorkers(): void {
    while (active < concurrency && hasWork()) {
      active++;
      void worker();
    }
  }

  async function worker(): Promise<void> {
    try {
      while (hasWork()) {
        const minSeq = takenSeq;
        const before = queue.bytes;
        const items = queue.take(maxItems, maxBytes);
        takenSeq += items.length;
        const job: Job = {
          pending: items.length,
          bytes: before - queue.bytes,
          minSeq,
          startedAt: now(),
          attempt: 0,
          abandoned: false,
        };
        inflight.add(job);
        try {
          await sendItems(job, current(job, items));
        } catch {
          diag.error(`${key}.bug`, `${label}: unexpected error while exporting; batch dropped`);
        }
        // Anything a hook bug left unsettled is counted, so the identity always holds.
        settle(job, job.pending, 'encode_error');
        inflight.delete(job);
        heldBytes -= job.bytes;
        checkWaiters();
      }
    } finally {
      active--;
      checkWaiters();
      schedule();
    }
  }

  /** The items the backend still takes; the rest are dropped as `expired`. */
  function current(job: Job, items: T[]): T[] {
    const expired = spec.expired;
    if (expired === undefined) return items;
    const at = Date.now();
    const kept = items.filter((item) => {
      try {
        return !expired(item, at);
      } catch {
        return true;
      }
    });
    const n = items.length - kept.length;
    if (n > 0) {
      settle(job, n, 'expired');
      diag.warn(
        `${key}.expired`,
        `${label}: ${n} items too old (or too far ahead) for ${where}; dropped (expired)`,
      );
    }
    return kept;
  }

  /**
   * Encodes within the byte limit and sends each part in order, one encode per turn of the event
   * loop: a batch that came out over the limit is encoded again in halves, and doing every round in
   * one stretch would hold the service's requests behind all of them.
   */
  async function sendItems(job: Job, items: readonly T[]): Promise<void> {
    let tooLarge = 0;
    let encodeErrors = 0;
    const steps = encodeParts(items, spec.encode, maxBytes);
    for (;;) {
      await encodeTurn();
      if (job.abandoned) return;
      const next = steps.next();
      if (next.done) break;
      const step = next.value;
      if (step.kind === 'part') await sendPart(job, step.items, step.body, step.contentType);
      else if (step.kind !== 'split') {
        settle(job, 1, step.kind);
        if (step.kind === 'too_large') tooLarge++;
        else encodeErrors++;
      }
    }
    if (tooLarge > 0) {
      diag.warn(
        `${key}.too_large`,
        `${label}: ${tooLarge} items too large alone (over ${maxBytes} bytes or the backend's limit for one); dropped`,
      );
    }
    if (encodeErrors > 0) {
      diag.warn(`${key}.encode_error`, `${label}: encoder failed on ${encodeErrors} items; dropped`);
    }
  }

  /** Halves a batch the backend (or the compressed-size cap) refused; `resend` counts the halves as retried. */
  async function splitAndSend(job: Job, items: readonly T[], why: string, resend: boolean): Promise<void> {
    if (items.length <= 1) {
      settle(job, items.length, 'too_large');
      diag.warn(`${key}.too_large`, `${label}: a single item is ${why} for ${where}; dropped`);
      return;
    }
    if (resend) retried += items.length;
    const [a, b] = splitHalves(items);
    await sendItems(job, a);
    await sendItems(job, b);
  }

  async function sendPart(
    job: Job,
    items: readonly T[],
    body: Uint8Array,
    contentType: string,
  ): Promise<void> {
    const n = items.length;
    const wire = gzip ? await gzipBody(body) : body;
    if (job.abandoned) return;
    if (maxCompressed !== undefined && wire.byteLength > maxCompressed) {
      return splitAndSend(job, items, 'too large after compression', false);
    }
    const headers: Record<string, string> = { ...baseHeaders, 'content-type': contentType };
    if (gzip) headers['content-encoding'] = 'gzip';
    const request = { url: spec.url, body: wire, headers };
    for (;;) {
      if (heldUntil > now()) {
        if (!(await waitOut(job, n, heldUntil - now()))) return;
        // A hold as long as the budget (a delay of an hour asked of another request) left the
        // batches behind it none: each was given up on at its first answer, never retried.
        if (job.attempt === 0) job.startedAt = now();
      }
      const result = await post(request, {
        timeoutMs,
        abort: abortAll.signal,
        maxResponseBytes,
        readBody: spec.onResponse !== undefined,
        send: spec.send,
        tls: spec.tls,
      });
      if (job.abandoned) return;
      if (result.kind === 'failure') {
        if (result.reason === 'aborted') return settle(job, n, 'shutdown');
        if (result.reason === 'unavailable') {
          settle(job, n, 'client_unavailable');
          diag.error(
            `${key}.unavailable`,
            `${label}: ${result.code}; ${n} items dropped (client_unavailable)`,
          );
          return;
        }
        diag.debug(`${key}.network`, `${label}: ${result.code} from ${where}; will retry ${n} items`);
        if (!(await backoff(job, n, undefined))) return;
        continue;
      }
      const res = result.response;
      switch (classifyStatus(res.status, isRetryable)) {
        case 'ok':
          return handleSuccess(job, items, res);
        case 'too_large':
          if (spec.splitOn413) return splitAndSend(job, items, 'rejected with HTTP 413', true);
          settle(job, n, 'too_large');
          diag.warn(`${key}.status`, `${label}: HTTP 413 from ${where}; ${n} items dropped (too_large)`);
          return;
        case 'retry':
          diag.debug(`${key}.status`, `${label}: HTTP ${res.status} from ${where}; will retry ${n} items`);
          if (!(await backoff(job, n, res))) return;
          continue;
        default:
          settle(job, n, 'rejected');
          diag.warn(
            `${key}.status`,
            `${label}: HTTP ${res.status} from ${where}; ${n} items dropped (rejected)`,
          );
          return;
      }
    }
  }

  async function handleSuccess(job: Job, items: readonly T[], res: ExportResponse): Promise<void> {
    const n = items.length;
    if (!spec.onResponse) return settle(job, n, 'delivered');
    let retry: number[] = [];
    let rejected = 0;
    try {
      const verdict = spec.onResponse(res, items);
      if (verdict) {
        const seen = new Set<number>();
        for (const i of verdict.retry ?? []) if (Number.isInteger(i) && i >= 0 && i < n) seen.add(i);
        retry = [...seen].sort((x, y) => x - y);
        const r = Number(verdict.rejected ?? 0);
        rejected = Number.isFinite(r) ? Math.max(0, Math.min(Math.floor(r), n - retry.length)) : 0;
      }
    } catch {
      diag.warn(`${key}.hook`, `${label}: response hook failed; batch counted as delivered`);
    }
    settle(job, n - retry.length - rejected, 'delivered');
    if (rejected > 0) {
      settle(job, rejected, 'rejected');
      diag.warn(`${key}.partial`, `${label}: ${where} rejected ${rejected} of ${n} items`);
    }
    if (retry.length === 0) return;
    if (!(await backoff(job, retry.length, res))) return;
    await sendItems(
      job,
      retry.map((i) => items[i] as T),
    );
  }

  /** Waits before the next attempt; `false` (items settled) when the budget or the deadline forbids it. */
  async function backoff(job: Job, n: number, res: ExportResponse | undefined): Promise<boolean> {
    const vendor = res ? vendorDelay(res) : undefined;
    // A vendor delay replaces the back-off, but "retry after 0 s" on every answer must not become a
    // request storm: wait at least the first back-off ceiling (at most 100 ms).
    const delay =
      vendor === undefined
        ? backoffDelayMs(job.attempt, policy, random)
        : Math.max(vendor, Math.min(policy.initialDelayMs, 100));
    job.attempt++;
    const t = now();
    if (vendor !== undefined) heldUntil = Math.max(heldUntil, t + Math.min(delay, policy.maxElapsedMs));
    if (t + delay - job.startedAt > policy.maxElapsedMs) {
      settle(job, n, 'retries_exhausted');
      diag.warn(
        `${key}.exhausted`,
        `${label}: gave up on ${n} items after ${job.attempt} attempts to ${where}`,
      );
      return false;
    }
    if (!(await waitOut(job, n, delay))) return false;
    retried += n;
    return true;
  }

  /** Waits `ms` before a request; `false` (items settled as `shutdown`) when shutdown cuts it short. */
  async function waitOut(job: Job, n: number, ms: number): Promise<boolean> {
    if (deadline !== undefined && now() + ms > deadline) {
      settle(job, n, 'shutdown');
      return false;
    }
    const completed = await sleep(job, ms);
    if (!completed || job.abandoned) {
      settle(job, n, 'shutdown');
      return false;
    }
    return true;
  }

  function vendorDelay(res: ExportResponse): number | undefined {
    let delay: number | undefined;
    try {
      delay = spec.retryDelayMs?.(res);
    } catch {
      delay = undefined;
    }
    if (delay === undefined || !Number.isFinite(delay) || delay < 0) {
      // An HTTP date is on the wall clock.
      delay = parseRetryAfter(res.headers.get('retry-after'), Date.now());
    }
    return delay === undefined ? undefined : Math.ceil(delay);
  }

  function sleep(job: Job, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (completed: boolean) => {
        realClearTimeout(t);
        abortAll.signal.removeEventListener('abort', onAbort);
        job.sleep = undefined;
        resolve(completed);
      };
      const onAbort = () => done(false);
      // A Retry-After can ask for longer than a timer holds; the retry budget ends such waits anyway.
      const t = realSetTimeout(() => done(true), Math.min(ms, MAX_TIMER_MS));
      t.unref();
      abortAll.signal.addEventListener('abort', onAbort);
      job.sleep = { endsAt: now() + ms, cancel: onAbort };
    });
  }

  function checkWaiters(): void {
    if (waiters.size === 0) return;
    let oldest = Number.POSITIVE_INFINITY;
    for (const job of inflight) oldest = Math.min(oldest, job.minSeq);
    for (const w of waiters) {
      if (takenSeq >= w.mark && oldest >= w.mark) {
        waiters.delete(w);
        w.resolve();
      }
    }
  }

  /** Resolves when every item accepted before `mark` is settled, or after `ms`. */
  function waitFor(mark: number, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const w = {
        mark,
        resolve: () => {
          realClearTimeout(t);
          resolve();
        },
      };
      const t = realSetTimeout(() => {
        waiters.delete(w);
        resolve();
      }, ms);
      waiters.add(w);
      checkWaiters();
    });
  }

  function budget(timeout: number | undefined): number {
    const given =
      typeof timeout === 'number' && timeout >= 0 && Number.isFinite(timeout) ? timeout : undefined;
    // Called from obs.shutdown()/forceFlush(): never outlive the caller's deadline, and take all of
    // it unless told otherwise, as the default 5 s would cut a longer `shutdownTimeout` short.
    const left = flushTimeLeft();
    const own = given ?? (left !== undefined && !ownShutdownTimeout ? left : shutdownTimeoutMs);
    return Math.min(left === undefined ? own : Math.min(own, left), MAX_TIMER_MS);
  }

  /** The adapter's estimate as a whole number of bytes; 0 (counted by number only) when it fails. */
  function sizeOfItem(item: T): number {
    if (sizeOf === undefined) return 0;
    try {
      const size = sizeOf(item);
      return size > 0 && size < Number.POSITIVE_INFINITY ? Math.ceil(size) : 0;
    } catch {
      return 0;
    }
  }

  function push(item: T): boolean {
    produced++;
    if (closed) {
      drop(1, 'shutdown');
      return false;
    }
    if (queued >= queueSize) return refuse('queue_full', queueSize, 'items');
    const size = sizeOfItem(item);
    if (heldBytes + size > queueBytes) {
      // One item over the whole budget could never be queued: it is too large, not unlucky.
      return size > queueBytes
        ? refuse('too_large', size, 'bytes')
        : refuse('queue_full', queueBytes, 'bytes');
    }
    queue.push(item, size);
    heldBytes += size;
    queued++;
    acceptedSeq++;
    if (queue.length >= readyAt || queue.bytes >= readyBytes) schedule();
    return true;
  }

  function refuse(reason: 'queue_full' | 'too_large', n: number, unit: 'items' | 'bytes'): false {
    drop(1, reason);
    if (diag.level !== 'none') {
      diag.warn(
        `${key}.${reason}`,
        reason === 'queue_full'
          ? `${label}: queue full (${n} ${unit}); dropping`
          : `${label}: an item of about ${n} bytes exceeds the queue's ${queueBytes}; dropped`,
      );
    }
    return false;
  }

  function finishShutdown(): void {
    if (finished) return;
    finished = true;
    abortAll.abort();
    for (const job of inflight) {
      settle(job, job.pending, 'shutdown');
      job.abandoned = true;
    }
    heldBytes -= queue.bytes;
    const rest = queue.clear();
    takenSeq += rest;
    queued -= rest;
    if (rest > 0) drop(rest, 'shutdown');
    const lost = dropped.shutdown ?? 0;
    if (lost > 0)
      diag.warn(`${key}.shutdown`, `${label}: ${lost} items not delivered before the shutdown deadline`);
  }

  return {
    adapter,
    signal,

    push,

    pushAll(items: readonly T[]): number {
      let accepted = 0;
      for (let i = 0; i < items.length; i++) if (push(items[i] as T)) accepted++;
      return accepted;
    },

    discard(count: number, reason: DropReason): void {
      if (!(count > 0)) return;
      const n = Math.floor(count);
      produced += n;
      drop(n, reason);
    },

    forceFlush(timeout?: number): Promise<void> {
      if (shutdownPromise) return shutdownPromise;
      const ms = budget(timeout);
      const mark = acceptedSeq;
      drainUntil = Math.max(drainUntil, mark);
      schedule();
      return waitFor(mark, ms);
    },

    shutdown(timeout?: number): Promise<void> {
      const ms = budget(timeout);
      if (!shutdownPromise) {
        closed = true;
        clearInterval(timer);
        deadline = now() + ms;
        drainUntil = acceptedSeq;
        // Back-offs that would end after the deadline cannot deliver anything: give up on them now
        // so their slot can drain the rest of the queue.
        for (const job of inflight) if (job.sleep && job.sleep.endsAt > deadline) job.sleep.cancel();
        const drained = ms === 0 ? Promise.resolve() : waitFor(acceptedSeq, ms);
        schedule();
        shutdownPromise = drained.then(finishShutdown);
      }
      // No time left (the caller's deadline has come): what is left ends now, not on a later tick,
      // so the caller returns with nothing queued and no request in flight.
      if (ms === 0) finishShutdown();
      return shutdownPromise;
    },

    stats(): SignalStats {
      return { produced, delivered, retried, queued, dropped: { ...dropped } };
    },
  };
}

const RESERVED_HEADERS = new Set(['content-type', 'content-encoding', 'content-length']);

function normaliseHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (RESERVED_HEADERS.has(lower)) continue;
    // A value node:http refuses would fail every request; fail at setup instead, naming the header,
    // never its value.
    if (
      typeof value !== 'string' ||
      /[^\t\x20-\x7e\x80-\xff]/.test(value) ||
      !/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(lower)
    ) {
      throw new SightlineConfigError(
        ErrorCodes.CONFIG_INVALID_VALUE,
        `headers.${name}`,
        `Export header ${JSON.stringify(name)} has an invalid name or value (${describeValue(value, true)}); ` +
          'use a plain token name and a single-line string value',
      );
    }
    out[lower] = value;
  }
  return out;
}

/**
 * Checks the options {@link createChannel} takes for an adapter's signal, and settles their
 * defaults. Throws the coded `SightlineConfigError` that channel would: an adapter that starts
 * something it cannot undo (dd-trace) calls it first, so a bad option fails before that does.
 *
 * @example
 * checkChannelOptions('datadog', 'metrics', { queueSize: 0 }); // throws SL_ERR_CONFIG_INVALID_VALUE
 */
export function checkChannelOptions(adapter: string, signal: Signal, options: ChannelOptions) {
  // Named as the adapter's options name them, with the adapter: two adapters may be given bad ones.
  const label = `${adapter} ${signal}`;
  const positiveInt = (option: string, value: number) => checkPositiveInt(label, option, value);
  const timerMs = (option: string, value: number, min: 0 | 1) => checkTimerMs(label, option, value, min);
  const checked = {
    queueSize: positiveInt('channel.queueSize', options.queueSize ?? DEFAULT_QUEUE_SIZE[signal]),
    queueBytes: positiveInt('channel.queueBytes', options.queueBytes ?? DEFAULT_QUEUE_BYTES[signal]),
    flushIntervalMs: timerMs('channel.flushIntervalMs', options.flushIntervalMs ?? 5000, 1),
    timeoutMs: timerMs('channel.timeoutMs', options.timeoutMs ?? 10_000, 1),
    shutdownTimeoutMs: timerMs('channel.shutdownTimeoutMs', options.shutdownTimeoutMs ?? 5000, 0),
    maxResponseBytes: positiveInt('channel.maxResponseBytes', options.maxResponseBytes ?? 4 * 1024 * 1024),
    policy: { ...DEFAULT_RETRY, ...options.retry } as RetryPolicy,
    gzip: options.gzip ?? true,
  };
  if (options.concurrency !== undefined) positiveInt('channel.concurrency', options.concurrency);
  timerMs('channel.retry.initialDelayMs', checked.policy.initialDelayMs, 0);
  timerMs('channel.retry.maxDelayMs', checked.policy.maxDelayMs, 0);
  checkNonNegative(label, 'channel.retry.maxElapsedMs', checked.policy.maxElapsedMs);
  // Any other value would be read as true or false as it is truthy: 'no' would gzip.
  if (typeof checked.gzip !== 'boolean')
    failOption(label, 'channel.gzip', checked.gzip, 'true or false', 'boolean');
  return checked;
}

function failOption(
  label: string,
  option: string,
  value: unknown,
  fix: string,
  type: 'number' | 'boolean' = 'number',
): never {
  throw new SightlineConfigError(
    invalidCode(value, type),
    option,
    `${label}: option ${option}=${describeValue(value)} is invalid; use ${fix}`,
  );
}

function checkPositiveInt(label: string, option: string, value: number): number {
  if (!Number.isInteger(value) || value < 1)
    failOption(label, option, value, 'a whole number of at least 1', 'number');
  return value;
}

/** A delay a timer can hold: from `min` to {@link MAX_TIMER_MS} ms. */
function checkTimerMs(label: string, option: string, value: number, min: 0 | 1): number {
  if (typeof value !== 'number' || !(value >= min && value <= MAX_TIMER_MS)) {
    failOption(label, option, value, `a number of milliseconds from ${min} to ${MAX_TIMER_MS}`, 'number');
  }
  return value;
}

function checkNonNegative(label: string, option: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    failOption(label, option, value, 'a finite number of at least 0', 'number');
  }
  return value;
}
