import type { Diag } from '../../src/diag/diag.js';
import type { EncodedBody, ExportResponse, ResponseVerdict } from '../../src/export/index.js';

/**
 * The `_bulk` NDJSON body: one `create` action naming the data stream, then the document, each on
 * its own line, the last line ending with `\n` too. Data streams accept only `create`.
 *
 * @example
 * encodeBulk('logs-checkout-production', [{ '@timestamp': '2024-05-01T12:00:00.000Z', message: 'hi' }]);
 * // {"create":{"_index":"logs-checkout-production"}}\n{"@timestamp":"2024-05-01T12:00:00.000Z","message":"hi"}\n
 */
export function encodeBulk(index: string, docs: readonly unknown[]): EncodedBody {
  const action = `${JSON.stringify({ create: { _index: index } })}\n`;
  let body = '';
  for (const doc of docs) body += `${action}${JSON.stringify(doc)}\n`;
  return { body, contentType: 'application/x-ndjson' };
}

/**
 * The `_bulk` response fields the adapter reads (`filter_path` keeps the answer small): whether any
 * item failed and, per item in request order, its status and error.
 */
export const BULK_FILTER_PATH = 'errors,items.*.status,items.*.error.type,items.*.error.reason';

interface BulkItemResult {
  status?: unknown;
  error?: { type?: unknown; reason?: unknown };
}

/** True for per-item statuses worth another attempt: 429 (node overloaded) and 5xx. */
function isRetryableItem(status: number): boolean {
  return status === 429 || status >= 500;
}

/**
 * Reads a 2xx `_bulk` answer item by item: items refused with 429 or 5xx are sent again (their
 * indices in `retry`), other refusals (400 mapping errors, 404, 409 conflicts) are counted
 * `rejected` and never retried. The first failure of each error type is reported once through the
 * diagnostics with its status and a short reason, without the document's values.
 *
 * @example
 * createChannel({ ..., onResponse: bulkResponseReader(ctx.diag, 'logs') });
 */
export function bulkResponseReader(
  diag: Diag,
  signal: string,
): (response: ExportResponse, items: readonly unknown[]) => ResponseVerdict | undefined {
  return (response, items) => {
    if (response.truncated) {
      diag.once(
        `export.elastic.${signal}.truncated`,
        `elastic ${signal}: a _bulk answer was too large to read; its items were counted as delivered`,
      );
      return undefined;
    }
    // Elasticsearch writes `errors` first: skip parsing the common all-created answer.
    if (/^\s*\{\s*"errors"\s*:\s*false/.test(response.body.slice(0, 64))) return undefined;
    let parsed: { errors?: unknown; items?: unknown };
    try {
      parsed = JSON.parse(response.body) as typeof parsed;
    } catch {
      return undefined;
    }
    if (parsed?.errors !== true || !Array.isArray(parsed.items)) return undefined;
    const retry: number[] = [];
    let rejected = 0;
    const n = Math.min(items.length, parsed.items.length);
    for (let i = 0; i < n; i++) {
      const result = firstAction(parsed.items[i]);
      const status = Number(result?.status);
      if (!Number.isInteger(status) || (status >= 200 && status < 300)) continue;
      if (isRetryableItem(status)) {
        retry.push(i);
        continue;
      }
      rejected++;
      reportRejection(diag, signal, status, result?.error);
    }
    return retry.length === 0 && rejected === 0 ? undefined : { retry, rejected };
  };
}

function firstAction(item: unknown): BulkItemResult | undefined {
  if (typeof item !== 'object' || item === null) return undefined;
  for (const key in item) {
    const value = (item as Record<string, unknown>)[key];
    return typeof value === 'object' && value !== null ? (value as BulkItemResult) : undefined;
  }
  return undefined;
}

function reportRejection(diag: Diag, signal: string, status: number, error: BulkItemResult['error']): void {
  const type = typeof error?.type === 'string' && /^[a-z_]{1,64}$/.test(error.type) ? error.type : 'unknown';
  diag.once(
    `export.elastic.${signal}.rejected.${type}`,
    `elastic ${signal}: Elasticsearch refused documents with status ${status} (${type}${reasonText(error?.reason)}); ` +
      'they are dropped, not retried',
  );
}

/**
 * A short reason: Elasticsearch may quote the refused value ("Preview of field's value: ..."), which
 * is user data, so that part and anything past 160 characters are cut.
 */
function reasonText(reason: unknown): string {
  if (typeof reason !== 'string' || reason === '') return '';
  let text = reason.split(/\s*Preview of field's value/i, 1)[0] ?? '';
  text = text.replace(/[\r\n]+/g, ' ');
  if (text.length > 160) text = `${text.slice(0, 157)}...`;
  return `: ${text}`;
}
